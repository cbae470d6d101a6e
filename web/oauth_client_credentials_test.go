package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
)

// Client credentials with each client authentication method: the button
// asks the token URL from the server (no trip through the browser), Save
// keeps the token, the runtime API hands it out, and renewals ask again.
// For private_key_jwt tokendesk makes the key pair on the first save and
// publishes it; the emulator verifies the assertion with that JWKS URL.
func TestOAuthClientCredentialsWithEachClientAuthentication(t *testing.T) {
	for _, method := range []string{oauthtest.ClientSecretBasic, oauthtest.ClientSecretPost, oauthtest.PrivateKeyJWT} {
		t.Run(method, func(t *testing.T) {
			ts := newTestServer(t)
			emu := startOAuth(t, ts, oauthtest.Options{}, method)
			ts.signInAdmin()
			ts.get("/tokens/new/oauth2")
			f := oauthForm("Reports", emu, "client_credentials", method)
			path := "/tokens/new/oauth2"
			var id int64
			if method == oauthtest.PrivateKeyJWT {
				f.Del("client_secret")
				f.Set("action", "get_token")
				early := ts.post(path, f)
				if s, _ := resultOf(early, "get_token"); !strings.Contains(s, "no key pair yet: press Save") {
					t.Fatalf("before the key pair: %q", s)
				}
				f.Del("action")
				wantRedirect(t, ts.post(path, f), "/tokens/1")
				id = tokenIDByName(t, ts, "Reports")
				page := ts.get("/tokens/" + itoa(id))
				jwksURL, _ := page.Doc.Find("[data-testid=jwks-url]").Attr("value")
				kid, _ := page.Doc.Find("[data-testid=key-id]").Attr("value")
				if !strings.HasPrefix(kid, "tokendesk-") || page.Doc.Find("[data-testid=copy-key-id]").Length() != 1 {
					t.Fatalf("Key ID %q shown without its copy button", kid)
				}
				if !emu.SetJWKSURL(oauthClientID, ts.http.URL+strings.TrimPrefix(jwksURL, ts.srv.Config.BaseURL.String())) {
					t.Fatal("the emulator has no such private_key_jwt client")
				}
				path = "/tokens/" + itoa(id)
				f.Set("version", "1")
			}
			f.Set("action", "get_token")
			p := ts.post(path, f)
			wantStatus(t, p, http.StatusOK)
			if s, _ := resultOf(p, "get_token"); !strings.Contains(s, "Obtained an OAuth 2.0 access token") {
				t.Fatalf("result %q", s)
			}
			pend, _ := p.Doc.Find("input[name=pending]").Attr("value")
			f.Del("action")
			f.Set("client_secret", "")
			f.Set("pending", pend)
			wantRedirect(t, ts.post(path, f), "/tokens")
			id = tokenIDByName(t, ts, "Reports")
			values, _ := ts.store.TokenValues(t.Context(), id)
			if values["access_token"] == "" {
				t.Fatal("no access token saved")
			}
			key := createClient(t, ts, "/clients", "Reporter")
			if a := apiGet(t, ts, key, "Reports"); a.Status != 200 || a.Token["access_token"] != values["access_token"] {
				t.Fatalf("runtime API %d %v", a.Status, a.Token)
			}
			// Renew now asks the token URL again with the same method.
			issued := emu.Issued()
			renew := ts.post("/tokens/"+itoa(id)+"/renew", nil)
			wantRedirect(t, renew, "/tokens/"+itoa(id))
			if emu.Issued() != issued+1 {
				t.Fatalf("Renew now issued %d tokens", emu.Issued()-issued)
			}
			if after, _ := ts.store.TokenValues(t.Context(), id); after["access_token"] == values["access_token"] {
				t.Fatal("Renew now kept the old access token")
			}
			noSecrets(t, "the log", ts.logs.String(), oauthSecret, values["access_token"], values["private_key"])
		})
	}
}
