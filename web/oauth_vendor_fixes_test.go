package web

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/renewal"
)

// private_key_jwt signs with the Signing Algorithm chosen (RS256 by
// default). A service registered for another algorithm answers "alg
// mismatch" (as panva's oidc-provider does); the form names the algorithm,
// not the Client Secret a signed JWT does not use.
func TestOAuthSigningAlgorithmAndAlgRefusal(t *testing.T) {
	ts := newTestServer(t)
	emu, _ := oauthtest.Start(t, oauthtest.Options{Clock: ts.clock.Now})
	emu.AddClient(oauthtest.Client{ID: oauthClientID, AuthMethod: oauthtest.PrivateKeyJWT, ClientCredentials: true, AssertionAlg: "RS256"})
	ts.signInAdmin()
	form := ts.get("/tokens/new/oauth2")
	if v, _ := form.Doc.Find("#f-signing_alg option[selected]").Attr("value"); v != "RS256" {
		t.Fatalf("default Signing Algorithm %q", v)
	}
	f := oauthForm("Signed Reports", emu, "client_credentials", oauthtest.PrivateKeyJWT)
	f.Del("client_secret")
	f.Set("signing_alg", "RS384")
	saved := ts.post("/tokens/new/oauth2", f)
	id := tokenIDByName(t, ts, "Signed Reports")
	path := "/tokens/" + itoa(id)
	wantRedirect(t, saved, path) // a key pair to register: the token's page
	page := ts.get(path)
	jwksURL, _ := page.Doc.Find("[data-testid=jwks-url]").Attr("value")
	if !emu.SetJWKSURL(oauthClientID, ts.http.URL+strings.TrimPrefix(jwksURL, ts.srv.Config.BaseURL.String())) {
		t.Fatal("no such client")
	}
	f.Set("version", editVersion(t, page))
	f.Set("action", "get_token")
	s, _ := resultOf(ts.post(path, f), "get_token")
	if !strings.Contains(s, "refused the signed JWT's algorithm RS384") || strings.Contains(s, "Client Secret") || !strings.Contains(s, "alg mismatch") {
		t.Fatalf("alg refusal %q", s)
	}
	f.Set("signing_alg", "RS256")
	if s, _ := resultOf(ts.post(path, f), "get_token"); !strings.HasPrefix(s, "Obtained an OAuth 2.0 access token") {
		t.Fatalf("with RS256 %q", s)
	}
}

// A refresh answered interaction_required (or consent_required,
// login_required) needs a person: the token asks for a reconnect at once
// instead of backing off for ever.
func TestOAuthInteractionRequiredNeedsReconnect(t *testing.T) {
	for _, code := range []string{"interaction_required", "consent_required", "login_required"} {
		t.Run(code, func(t *testing.T) {
			ts := newTestServer(t)
			emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
			ts.signInAdmin()
			ts.get("/tokens/new/oauth2")
			f := oauthForm("Mail Box", emu, "authorization_code", oauthtest.ClientSecretBasic)
			_, _, back := consent(t, ts, "/tokens/new/oauth2", f)
			pend, _ := back.Doc.Find("input[name=pending]").Attr("value")
			f.Set("client_secret", "")
			f.Set("pending", pend)
			wantRedirect(t, ts.post("/tokens/new/oauth2", f), "/tokens")
			emu.SetRefreshError(code, "AADSTS50076: Due to a configuration change made by your administrator, you must use multi-factor authentication.")
			ts.clock.Advance(time.Hour)
			if _, err := ts.srv.Renewer.(*renewal.Worker).RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			tok, _ := ts.store.TokenByID(t.Context(), tokenIDByName(t, ts, "Mail Box"))
			if !tok.NeedsReconnect || !strings.Contains(tok.LastError, "needs a person to sign in again ("+code+")") {
				t.Fatalf("needs reconnect %v: %s", tok.NeedsReconnect, tok.LastError)
			}
		})
	}
}

// SharePoint signs in to the Tenant (organizations by default), never to
// /common, which Microsoft refuses for single-tenant apps (AADSTS50194,
// as the Entra emulator does); a tenant ID works end to end.
func TestSharePointTenant(t *testing.T) {
	ts := newTestServer(t)
	emu, base := oauthtest.Start(t, oauthtest.Options{Clock: ts.clock.Now, AutoApprove: true, Entra: &oauthtest.Entra{Tenant: "contoso.onmicrosoft.com"}})
	emu.AddClient(oauthtest.Client{ID: oauthClientID, Secret: oauthSecret, AuthMethod: oauthtest.ClientSecretPost, RedirectURIs: []string{ts.srv.redirectURI()}})
	ts.signInAdmin()
	form := ts.get("/tokens/new/oauth2-microsoft-sharepoint")
	if v, _ := form.Doc.Find("#f-tenant").Attr("value"); v != "organizations" {
		t.Fatalf("default Tenant %q", v)
	}
	f := url.Values{"name": {"Team Site"}, "grant_type": {"authorization_code"}, "client_id": {oauthClientID}, "client_secret": {oauthSecret},
		"client_auth": {"client_secret_post"}, "tenant": {"common"},
		"auth_url": {base + "/{tenant}/oauth2/v2.0/authorize"}, "token_url": {base + "/{tenant}/oauth2/v2.0/token"},
		"scope": {"offline_access https://graph.microsoft.com/Sites.ReadWrite.All"}, "pkce": {"on"}, "renewal_rate": {"1h"}, "action": {"get_token"}}
	to := consentURL(t, ts.post("/tokens/new/oauth2-microsoft-sharepoint", f))
	if !strings.HasPrefix(to, base+"/common/oauth2/v2.0/authorize?") {
		t.Fatalf("sent to %s", to)
	}
	resp, err := http.Get(to)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "AADSTS50194") {
		t.Fatalf("/common for a single-tenant app: %d %s", resp.StatusCode, body)
	}
	f.Set("tenant", "contoso.onmicrosoft.com")
	f.Del("action")
	start, _, back := consent(t, ts, "/tokens/new/oauth2-microsoft-sharepoint", f)
	if !strings.HasPrefix(start, base+"/contoso.onmicrosoft.com/oauth2/v2.0/authorize?") {
		t.Fatalf("sent to %s", start)
	}
	pend, _ := back.Doc.Find("input[name=pending]").Attr("value")
	f.Set("client_secret", "")
	f.Set("pending", pend)
	wantRedirect(t, ts.post("/tokens/new/oauth2-microsoft-sharepoint", f), "/tokens")
	values, _ := ts.store.TokenValues(t.Context(), tokenIDByName(t, ts, "Team Site"))
	if values["access_token"] == "" || values["tenant"] != "contoso.onmicrosoft.com" {
		t.Fatalf("stored %v", keysOf(values))
	}
}

// Client Credentials is offered only where the service has it: not on
// Google Drive, Dropbox or Zoom user OAuth; on Salesforce only with My
// Domain. Google's facts: drive.file and the 7-day "Testing" lifetime.
func TestOAuthPresetsOfferOnlyWhatTheServiceHas(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	for id, want := range map[string]string{
		"oauth2-google-drive": "authorization_code", "oauth2-dropbox": "authorization_code", "oauth2-zoom-user": "authorization_code",
		"oauth2-box": "authorization_code,client_credentials", "oauth2-salesforce": "authorization_code,client_credentials",
		"oauth2-microsoft-sharepoint": "authorization_code,client_credentials", "oauth2": "authorization_code,client_credentials",
	} {
		form := ts.get("/tokens/new/" + id)
		var got []string
		form.Doc.Find("#f-grant_type option").Each(func(_ int, s *goquery.Selection) { v, _ := s.Attr("value"); got = append(got, v) })
		if strings.Join(got, ",") != want {
			t.Errorf("%s grants %v, want %s", id, got, want)
		}
		if v, _ := form.Doc.Find("#f-renewal_rate option[selected]").Attr("value"); v == "" || v == "disabled" {
			t.Errorf("%s starts with Renewal Rate %q", id, v)
		}
	}
	g := ts.get("/tokens/new/oauth2-google-drive")
	if v, _ := g.Doc.Find("#f-scope").Attr("value"); v != "https://www.googleapis.com/auth/drive.file" || !strings.Contains(g.Doc.Text(), "refresh tokens expire after 7 days") {
		t.Fatalf("Google scope %q", v)
	}
	bad := ts.post("/tokens/new/oauth2-google-drive", url.Values{"name": {"Drive CC"}, "grant_type": {"client_credentials"}, "client_id": {"x"},
		"auth_url": {"https://accounts.google.com/o/oauth2/v2/auth"}, "token_url": {"https://oauth2.googleapis.com/token"}})
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	sf := url.Values{"name": {"Org CC"}, "grant_type": {"client_credentials"}, "client_id": {"x"}, "client_secret": {"y"}, "client_auth": {"client_secret_post"},
		"salesforce_login": {"production"}, "auth_url": {"https://login.salesforce.com/services/oauth2/authorize"},
		"token_url": {"https://login.salesforce.com/services/oauth2/token"}, "renewal_rate": {"1h"}, "action": {"get_token"}}
	ts.get("/tokens/new/oauth2-salesforce")
	if s, _ := resultOf(ts.post("/tokens/new/oauth2-salesforce", sf), "get_token"); !strings.HasPrefix(s, "Salesforce allows the Client Credentials grant only at an org's My Domain") {
		t.Fatalf("Salesforce CC %q", s)
	}
}

// Microsoft certificate credentials: tokendesk makes a key pair and a
// self-signed certificate on Save, offers it for download to upload to the
// app registration, and signs its assertion PS256 with the certificate's
// x5t#S256, as Entra (and its emulator) demands; before the upload Entra's
// AADSTS700027 is named without blaming a Client Secret.
func TestSharePointCertificateCredentials(t *testing.T) {
	ts := newTestServer(t)
	emu, base := oauthtest.Start(t, oauthtest.Options{Clock: ts.clock.Now, Entra: &oauthtest.Entra{Tenant: "contoso.onmicrosoft.com"}})
	emu.AddClient(oauthtest.Client{ID: oauthClientID, AuthMethod: oauthtest.PrivateKeyJWT, ClientCredentials: true})
	ts.signInAdmin()
	form := ts.get("/tokens/new/oauth2-microsoft-sharepoint")
	var algs []string
	form.Doc.Find("#f-signing_alg option").Each(func(_ int, s *goquery.Selection) { v, _ := s.Attr("value"); algs = append(algs, v) })
	def, _ := form.Doc.Find("#f-signing_alg option[selected]").Attr("value")
	if strings.Join(algs, ",") != "RS256,PS256" || def != "PS256" {
		t.Fatalf("Signing Algorithms %v, default %q", algs, def)
	}
	f := url.Values{"name": {"Site Robot"}, "grant_type": {"client_credentials"}, "client_id": {oauthClientID}, "client_auth": {"private_key_jwt"},
		"signing_alg": {"PS256"}, "tenant": {"contoso.onmicrosoft.com"}, "auth_url": {base + "/{tenant}/oauth2/v2.0/authorize"},
		"token_url": {base + "/{tenant}/oauth2/v2.0/token"}, "scope": {"https://graph.microsoft.com/.default"}, "renewal_rate": {"1h"}}
	saved := ts.post("/tokens/new/oauth2-microsoft-sharepoint", f)
	id := tokenIDByName(t, ts, "Site Robot")
	path := "/tokens/" + itoa(id)
	wantRedirect(t, saved, path) // a key pair to register: the token's page
	page := ts.get(path)
	href, _ := page.Doc.Find("[data-testid=download-certificate]").Attr("href")
	if href != path+"/certificate.cer" || !strings.HasPrefix(page.text("[data-testid=certificate]"), "-----BEGIN CERTIFICATE-----") {
		t.Fatalf("certificate link %q", href)
	}
	f.Set("version", editVersion(t, page))
	f.Set("action", "get_token")
	s, _ := resultOf(ts.post(path, f), "get_token")
	if !strings.Contains(s, "did not accept the signed JWT") || !strings.Contains(s, "AADSTS700027") || strings.Contains(s, "Client Secret") {
		t.Fatalf("before the upload %q", s)
	}
	dl := ts.get(href)
	wantStatus(t, dl, http.StatusOK)
	if cd := dl.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
		t.Fatalf("Content-Disposition %q", cd)
	}
	block, _ := pem.Decode([]byte(dl.Body))
	if block == nil {
		t.Fatalf("download is not PEM: %q", dl.Body)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	emu.RegisterCertificate(oauthClientID, cert)
	if s, _ := resultOf(ts.post(path, f), "get_token"); !strings.HasPrefix(s, "Obtained an OAuth 2.0 access token") {
		t.Fatalf("after the upload %q", s)
	}
	values, _ := ts.store.TokenValues(t.Context(), id)
	noSecrets(t, "the page", page.Body, values["private_key"])
}
