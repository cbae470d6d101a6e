package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
)

const (
	oauthClientID = "td-app-1"
	oauthSecret   = "td-secret-9f8e7d"
)

// startOAuth serves the OAuth 2.0 emulator on the test's clock with one
// client registered for this console's Redirect URI.
func startOAuth(t *testing.T, ts *testServer, opts oauthtest.Options, method string) *oauthtest.Server {
	t.Helper()
	opts.Clock = ts.clock.Now
	emu, _ := oauthtest.Start(t, opts)
	emu.AddClient(oauthtest.Client{ID: oauthClientID, Secret: oauthSecret, AuthMethod: method,
		RedirectURIs: []string{ts.srv.redirectURI()}, ClientCredentials: true})
	return emu
}

func oauthForm(name string, emu *oauthtest.Server, grant, method string) url.Values {
	return url.Values{
		"name": {name}, "grant_type": {grant}, "client_id": {oauthClientID}, "client_secret": {oauthSecret},
		"client_auth": {method}, "auth_url": {emu.AuthURL()}, "token_url": {emu.TokenURL()}, "scope": {"files.read"},
		"pkce": {"on"}, "renewal_rate": {"1h"}, "encrypt": {"on"},
	}
}

// browse follows a Location on the emulator as a browser would and
// returns where the emulator sends the browser back (this console's
// callback, with its query).
func browse(t *testing.T, location string) *url.URL {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(location)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("emulator answered %d at %s", resp.StatusCode, location)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// noSecrets fails if any secret is in s (a Location, a page, the log).
func noSecrets(t *testing.T, where, s string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			t.Fatalf("a secret reached %s", where)
		}
	}
}

// consentURL is where the answer to Get OAuth 2.0 Access Token (or
// Reconnect) sends the browser: a page that moves on by its Refresh
// header, with a link to the same place.
func consentURL(t *testing.T, p page) string {
	t.Helper()
	wantStatus(t, p, http.StatusOK)
	to, ok := strings.CutPrefix(p.Header.Get("Refresh"), "0; url=")
	href, _ := p.Doc.Find("[data-testid=consent-continue-link]").Attr("href")
	if !ok || to == "" || href != to {
		t.Fatalf("Refresh %q, link %q", p.Header.Get("Refresh"), href)
	}
	return to
}

// consent runs Get OAuth 2.0 Access Token on form at path through the
// emulator (auto-approving) and returns the page the callback leads to.
func consent(t *testing.T, ts *testServer, path string, form url.Values) (start string, back *url.URL, result page) {
	t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("action", "get_token")
	loc := consentURL(t, ts.post(path, f))
	noSecrets(t, "the authorization URL", loc, oauthSecret)
	back = browse(t, loc)
	cb := ts.get(back.Path + "?" + back.RawQuery)
	wantStatus(t, cb, http.StatusSeeOther)
	noSecrets(t, "the callback's redirect", cb.Header.Get("Location"), oauthSecret, back.Query().Get("code"))
	return loc, back, ts.get(cb.Header.Get("Location"))
}

// The whole authorization code flow, with JavaScript off: Get OAuth 2.0
// Access Token leaves for the service with a state and a PKCE challenge,
// the callback exchanges the code and brings the form back with the
// token sealed and the typed secret kept, Save stores it (with its
// refresh token), and the runtime API hands it out.
func TestOAuthAuthorizationCodeFlowEndToEnd(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()

	form := ts.get("/tokens/new/oauth2")
	wantStatus(t, form, http.StatusOK)
	if v, _ := form.Doc.Find("[data-testid=redirect_uri]").Attr("value"); v != "http://127.0.0.1:8080/oauth/callback" {
		t.Fatalf("Redirect URI %q", v)
	}
	if form.Doc.Find("[data-testid=copy-f-redirect_uri]").Length() != 1 {
		t.Fatal("the Redirect URI has no copy button")
	}
	if _, named := form.Doc.Find("#f-redirect_uri").Attr("name"); named {
		t.Fatal("the read-only Redirect URI is submitted with the form")
	}

	in := oauthForm("Drive Sync", emu, "authorization_code", "client_secret_basic")
	in.Set("description", "nightly export")
	start, back, p := consent(t, ts, "/tokens/new/oauth2", in)
	auth, _ := url.Parse(start)
	q := auth.Query()
	if !strings.HasPrefix(start, emu.AuthURL()+"?") || q.Get("response_type") != "code" || q.Get("client_id") != oauthClientID ||
		q.Get("redirect_uri") != "http://127.0.0.1:8080/oauth/callback" || len(q.Get("state")) < 32 || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		t.Fatalf("authorization URL %s", auth)
	}
	if back.Query().Get("state") != q.Get("state") {
		t.Fatal("the emulator did not echo the state")
	}
	wantStatus(t, p, http.StatusOK)
	if s, _ := resultOf(p, "get_token"); !strings.Contains(s, "Obtained an OAuth 2.0 access token") || !strings.Contains(s, "with a refresh token") {
		t.Fatalf("result %q", s)
	}
	if !strings.Contains(p.text("[data-testid=stored-access_token]"), "not saved yet") {
		t.Fatalf("access token field: %q", p.text("[data-testid=stored-access_token]"))
	}
	if v, _ := p.Doc.Find("#f-name").Attr("value"); v != "Drive Sync" || p.text("#f-description") != "nightly export" {
		t.Fatal("the form was not restored")
	}
	if !strings.Contains(p.text("[data-testid=stored-client_secret]"), "Kept from your last attempt") {
		t.Fatal("the typed Client Secret did not survive the trip")
	}
	noSecrets(t, "the form", p.Body, oauthSecret)
	pend, _ := p.Doc.Find("input[name=pending]").Attr("value")
	if pend == "" {
		t.Fatal("no sealed pending state")
	}

	save := oauthForm("Drive Sync", emu, "authorization_code", "client_secret_basic")
	save.Set("client_secret", "")
	save.Set("pending", pend)
	wantRedirect(t, ts.post("/tokens/new/oauth2", save), "/tokens")
	id := tokenIDByName(t, ts, "Drive Sync")
	values, err := ts.store.TokenValues(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if values["access_token"] == "" || values["refresh_token"] == "" || values["client_secret"] != oauthSecret {
		t.Fatalf("stored %v", keysOf(values))
	}
	noSecrets(t, "the log", ts.logs.String(), oauthSecret, values["access_token"], values["refresh_token"])

	key := createClient(t, ts, "/clients", "Sync job")
	a := apiGet(t, ts, key, "Drive Sync")
	if a.Status != 200 || a.Token["access_token"] != values["access_token"] || a.Token["provider"] != "oauth2" || a.Token["expires_at"] == nil {
		t.Fatalf("runtime API %d %v", a.Status, a.Token)
	}

	// The state was single use: the same callback again is a 400 that
	// changes nothing.
	again := ts.get(back.Path + "?" + back.RawQuery)
	wantStatus(t, again, http.StatusBadRequest)
	if !strings.Contains(again.Body, "completed already") {
		t.Fatalf("used state: %s", excerpt(again.Body))
	}
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// The OAuth 2.0 form has the labels of issue 11, in its order, with the
// full Renewal Rate list (default Disabled); bad input is a field error
// (422) with the input kept, and nothing leaves for the service.
func TestOAuthFormLabelsAndFieldErrors(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	form := ts.get("/tokens/new/oauth2")
	var labels []string
	form.Doc.Find("#token-form label[for]").Each(func(_ int, s *goquery.Selection) {
		labels = append(labels, strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s.Text()), "*")))
	})
	// The Redirect URI is registered at the service first (issue 18 item 20).
	want := "Token Name,Description,Grant Type,Redirect URI,Client ID,Client Secret,Client Authentication,Signing Algorithm,Authorization URL,Token URL,Scope,Audience," +
		"Additional Parameters,PKCE,OAuth 2.0 Access Token,Access token lifetime (when the service does not say),Test URL,API Base URL,Renewal Rate,Only through the proxy,Encrypt"
	if strings.Join(labels, ",") != want {
		t.Fatalf("labels\n%s\nwant\n%s", strings.Join(labels, ","), want)
	}
	var rates []string
	form.Doc.Find("#f-renewal_rate option").Each(func(_ int, s *goquery.Selection) { rates = append(rates, s.Text()) })
	if len(rates) != 13 || rates[0] != "Disabled" || rates[12] != "Every Sunday at midnight" {
		t.Fatalf("rates %v", rates)
	}
	// A token that is not renewed dies with its first access token.
	if sel, _ := form.Doc.Find("#f-renewal_rate option[selected]").Attr("value"); sel != "1h" {
		t.Fatalf("default rate %q", sel)
	}
	var auths []string
	form.Doc.Find("#f-client_auth option").Each(func(_ int, s *goquery.Selection) { auths = append(auths, s.Text()) })
	if strings.Join(auths, "|") != "HTTP Basic|In the request body|Signed JWT (private_key_jwt) with a key pair kept by tokendesk" {
		t.Fatalf("client authentication %v", auths)
	}
	if typ, _ := form.Doc.Find("#f-client_secret").Attr("type"); typ != "password" {
		t.Fatal("Client Secret is not a password input")
	}
	if form.Doc.Find("[data-testid=action-get_token]").Text() == "" {
		t.Fatal("no Get OAuth 2.0 Access Token button")
	}

	for _, tc := range []struct{ field, value, want string }{
		{"auth_url", "ftp://auth.example.com", "Enter a full URL starting with https://"},
		{"token_url", "https://user:pw@auth.example.com/token", "Leave credentials out of the URL"},
		{"params", "access_type offline", "Line 1 is not name=value"},
		{"params", "redirect_uri=https://evil.example", "tokendesk sets itself"},
	} {
		for _, action := range []string{"get_token", ""} {
			f := url.Values{"name": {"Bad Input"}, "grant_type": {"authorization_code"}, "client_id": {"c"}, "client_secret": {"s3cr3t-typed"},
				"client_auth": {"client_secret_basic"}, "auth_url": {"https://auth.example.com/authorize"}, "token_url": {"https://auth.example.com/token"},
				"renewal_rate": {"disabled"}, "action": {action}}
			f.Set(tc.field, tc.value)
			p := ts.post("/tokens/new/oauth2", f)
			wantStatus(t, p, http.StatusUnprocessableEntity)
			if got := p.text("[data-testid=error-" + tc.field + "]"); !strings.Contains(got, tc.want) {
				t.Fatalf("%s=%q (action %q): error %q", tc.field, tc.value, action, got)
			}
			if tc.field != "params" {
				if v, _ := p.Doc.Find("#f-" + tc.field).Attr("value"); v != tc.value {
					t.Fatalf("input not kept: %q", v)
				}
			}
			noSecrets(t, "the form", p.Body, "s3cr3t-typed")
		}
	}
	if n := len(ts.get("/tokens").Doc.Find("[data-testid=token-row]").Nodes); n != 0 {
		t.Fatalf("%d tokens saved", n)
	}
}
