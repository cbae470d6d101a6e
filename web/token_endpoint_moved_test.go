package web

import (
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/oauth"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
)

// hostRecorder plays every host the console calls (DNS in a test lab
// pointing them all at one server): it records which host each request
// was for and the credentials it carried, and answers a who-am-I.
type hostRecorder struct {
	mu   sync.Mutex
	seen []string // "host Authorization body"
	srv  *httptest.Server
}

func newHostRecorder(t *testing.T) *hostRecorder {
	rec := &hostRecorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.seen = append(rec.seen, r.Host+" "+r.Header.Get("Authorization")+" "+string(body))
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		// A token answer and a who-am-I in one.
		w.Write([]byte(`{"access_token":"` + issuedAccessToken + `","token_type":"Bearer","expires_in":3600,` +
			`"username":"ada","name":"Ada Lovelace","email":"ada@example.com"}`))
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

// RoundTrip sends a request for any host to the recorder, the host kept.
func (rec *hostRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	to, _ := url.Parse(rec.srv.URL)
	r = r.Clone(r.Context())
	r.Host = r.URL.Host
	r.URL.Scheme, r.URL.Host = to.Scheme, to.Host
	return http.DefaultTransport.RoundTrip(r)
}

// carrying lists the requests for host that carried secret.
func (rec *hostRecorder) carrying(host, secret string) []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []string
	for _, s := range rec.seen {
		if strings.HasPrefix(s, host+" ") && strings.Contains(s, secret) {
			out = append(out, s)
		}
	}
	return out
}

const (
	movedAccessToken  = "glpat-stored-access-7c1d"
	issuedAccessToken = "issued-by-the-service-3e5f"
)

// Someone allowed to edit a catalogue token, though never to read its
// secrets, changes its GitLab Host (the who-am-I is
// https://{gitlab_host}/api/v4/user) to a host of their own and types any
// Client Secret: neither Test Connection nor Save sends the stored access
// token there. The page says why there is none and how to get a new one,
// and the saved token holds no access token any more. An edit that moves
// no address keeps it.
func TestMovedEndpointNeverReceivesTheStoredAccessTokenGitLabHost(t *testing.T) {
	rec := newHostRecorder(t)
	ts := newTestServer(t, func(d *testSetup) { d.HTTPClient = &http.Client{Timeout: provider.DefaultTimeout, Transport: rec} })
	ts.signInAdmin()
	const path = "/tokens/new/oauth2-gitlab"
	p, _ := registry.ByID("oauth2-gitlab")
	f := url.Values{}
	for _, fd := range p.Fields {
		switch {
		case fd.Control == provider.Copy || fd.Control == provider.Button:
		case fd.Control == provider.Checkbox && fd.Default != "":
			f.Set(fd.Key, "on")
		case fd.Default != "":
			f.Set(fd.Key, fd.Default)
		}
	}
	f.Set("name", "Source")
	f.Set("grant_type", oauth.GrantAuthCode)
	f.Set("client_id", oauthClientID)
	f.Set("client_secret", oauthSecret)
	f.Set("access_token", movedAccessToken) // pasted
	ts.get(path)
	wantRedirect(t, ts.post(path, f), "/tokens")
	if got := rec.carrying("gitlab.com", movedAccessToken); len(got) == 0 {
		t.Fatal("Save did not test the token at gitlab.com: the recorder sees nothing")
	}
	id := tokenIDByName(t, ts, "Source")
	tokPath := "/tokens/" + itoa(id)
	f.Set("access_token", "")
	f.Set("client_secret", "")

	// Not moving the address keeps the stored token, as before.
	f.Set("description", "The docs repository")
	f.Set("version", editVersion(t, ts.get(tokPath)))
	wantRedirect(t, ts.post(tokPath, f), "/tokens")
	if v, _ := ts.store.TokenValues(t.Context(), id); v["access_token"] != movedAccessToken {
		t.Fatal("an edit that moves no address dropped the access token")
	}

	f.Set("gitlab_host", "attacker.example")
	f.Set("client_secret", "anything")
	f.Set("version", editVersion(t, ts.get(tokPath)))
	f.Set("action", "test_connection")
	s, _ := resultOf(ts.post(tokPath, f), "test_connection")
	if !strings.Contains(s, "no access token") || !strings.Contains(s, "Get OAuth 2.0 Access Token") {
		t.Errorf("Test Connection at the new host says %q, want that there is no access token and how to get one", s)
	}
	f.Del("action")
	wantRedirect(t, ts.post(tokPath, f), "/tokens")
	flash := ts.get("/tokens").text("[data-testid=flash]")
	if !strings.Contains(flash, "The GitLab Host changed, so its stored access token was dropped") || !strings.Contains(flash, "Press Get OAuth 2.0 Access Token") {
		t.Errorf("flash %q, want it to say the access token was dropped and how to get a new one", flash)
	}
	if got := rec.carrying("attacker.example", movedAccessToken); len(got) > 0 {
		t.Fatalf("the new GitLab Host received the stored access token: %q", got)
	}
	if v, _ := ts.store.TokenValues(t.Context(), id); v["access_token"] != "" {
		t.Fatal("the saved token still holds the access token of the old host")
	}
}

// The generic form's Test URL is an address the access token is sent to:
// moving it asks for the Client Secret again and never sends the stored
// access token to the new one.
func TestMovedEndpointNeverReceivesTheStoredAccessTokenTestURL(t *testing.T) {
	rec := newHostRecorder(t)
	ts := newTestServer(t, func(d *testSetup) { d.HTTPClient = &http.Client{Timeout: provider.DefaultTimeout, Transport: rec} })
	ts.signInAdmin()
	const path = "/tokens/new/oauth2"
	f := url.Values{
		"name": {"Plain Service"}, "grant_type": {oauth.GrantAuthCode}, "client_id": {oauthClientID}, "client_secret": {oauthSecret},
		"client_auth": {"client_secret_basic"}, "auth_url": {"https://login.service.example/authorize"}, "token_url": {"https://login.service.example/token"},
		"pkce": {"on"}, "renewal_rate": {"1h"}, "encrypt": {"on"},
		"access_token": {movedAccessToken}, "test_url": {"https://api.service.example/me"},
	}
	ts.get(path)
	wantRedirect(t, ts.post(path, f), "/tokens")
	if got := rec.carrying("api.service.example", movedAccessToken); len(got) == 0 {
		t.Fatal("Save did not test the token at its Test URL")
	}
	id := tokenIDByName(t, ts, "Plain Service")
	tokPath := "/tokens/" + itoa(id)
	f.Set("access_token", "")
	f.Set("client_secret", "")
	f.Set("test_url", "https://attacker.example/me")
	f.Set("version", editVersion(t, ts.get(tokPath)))
	f.Set("action", "test_connection")
	if p := ts.post(tokPath, f); p.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Enter the Client Secret again: the Test URL changed") {
		t.Errorf("Test Connection with a moved Test URL: %d", p.StatusCode)
	}
	f.Set("client_secret", "anything")
	if s, _ := resultOf(ts.post(tokPath, f), "test_connection"); !strings.Contains(s, "no access token") {
		t.Errorf("Test Connection at the new Test URL says %q", s)
	}
	f.Del("action")
	wantRedirect(t, ts.post(tokPath, f), "/tokens")
	if flash := ts.get("/tokens").text("[data-testid=flash]"); !strings.Contains(flash, "The Test URL changed, so its stored access token was dropped") {
		t.Errorf("flash %q", flash)
	}
	if got := rec.carrying("attacker.example", movedAccessToken); len(got) > 0 {
		t.Fatalf("the new Test URL received the stored access token: %q", got)
	}
}

// A token obtained by Get OAuth 2.0 Access Token (Client Credentials, with
// the stored Client Secret, at the saved address) and not saved yet is
// not sent to an address typed after it either: Test Connection and Save
// there drop it, as they drop the stored one.
func TestMovedEndpointNeverReceivesATokenObtainedAtTheOldOne(t *testing.T) {
	rec := newHostRecorder(t)
	ts := newTestServer(t, func(d *testSetup) { d.HTTPClient = &http.Client{Timeout: provider.DefaultTimeout, Transport: rec} })
	ts.signInAdmin()
	const path = "/tokens/new/oauth2"
	f := url.Values{
		"name": {"Service Account"}, "grant_type": {oauth.GrantClientCredentials}, "client_id": {oauthClientID}, "client_secret": {oauthSecret},
		"client_auth": {"client_secret_basic"}, "auth_url": {"https://login.service.example/authorize"}, "token_url": {"https://login.service.example/token"},
		"renewal_rate": {"1h"}, "encrypt": {"on"}, "test_url": {"https://api.service.example/me"},
	}
	ts.get(path)
	wantRedirect(t, ts.post(path, f), "/tokens")
	id := tokenIDByName(t, ts, "Service Account")
	tokPath := "/tokens/" + itoa(id)
	f.Set("client_secret", "")
	f.Set("version", editVersion(t, ts.get(tokPath)))
	f.Set("action", "get_token")
	got := ts.post(tokPath, f)
	pend, _ := got.Doc.Find("input[name=pending]").Attr("value")
	if s, _ := resultOf(got, "get_token"); pend == "" || !strings.HasPrefix(s, "Obtained") {
		t.Fatalf("Get OAuth 2.0 Access Token at the saved address: %q", s)
	}

	f.Set("pending", pend)
	f.Set("test_url", "https://attacker.example/me")
	f.Set("client_secret", "anything")
	f.Set("grant_type", oauth.GrantAuthCode)
	f.Set("action", "test_connection")
	if s, _ := resultOf(ts.post(tokPath, f), "test_connection"); !strings.Contains(s, "no access token") {
		t.Errorf("Test Connection at the new Test URL says %q", s)
	}
	f.Del("action")
	wantRedirect(t, ts.post(tokPath, f), "/tokens")
	if got := rec.carrying("attacker.example", issuedAccessToken); len(got) > 0 {
		t.Fatalf("the new Test URL received the token obtained at the old address: %q", got)
	}
	if v, _ := ts.store.TokenValues(t.Context(), id); v["access_token"] != "" {
		t.Fatal("the token obtained at the old address was saved for the new one")
	}
}

// A Generic OAuth token saved before the API Base URL existed has no
// stored value for it: typing one for the first time is a move like any
// other. The page asks for the Client Secret again and the stored access
// token reaches neither the typed host nor the saved token.
func TestMovedEndpointPreUpgradeTokenFirstAPIBaseURL(t *testing.T) {
	sqliteFileOnly(t)
	rec := newHostRecorder(t)
	ts := newTestServer(t, func(d *testSetup) { d.HTTPClient = &http.Client{Timeout: provider.DefaultTimeout, Transport: rec} })
	ts.signInAdmin()
	const path = "/tokens/new/oauth2"
	f := url.Values{
		"name": {"Old Service"}, "grant_type": {oauth.GrantAuthCode}, "client_id": {oauthClientID}, "client_secret": {oauthSecret},
		"client_auth": {"client_secret_basic"}, "auth_url": {"https://login.service.example/authorize"}, "token_url": {"https://login.service.example/token"},
		"pkce": {"on"}, "renewal_rate": {"1h"}, "encrypt": {"on"},
		"access_token": {movedAccessToken}, "test_url": {"https://api.service.example/me"},
	}
	ts.get(path)
	wantRedirect(t, ts.post(path, f), "/tokens")
	id := tokenIDByName(t, ts, "Old Service")
	// Saved before this release: no api_base_url row at all.
	db, err := sql.Open("sqlite", filepath.Join(ts.dir, "tokendesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM token_values WHERE token_id = ? AND field = ?`, id, oauth.KeyAPIBase); err != nil {
		t.Fatal(err)
	}
	if v, _ := ts.store.TokenValues(t.Context(), id); v["access_token"] != movedAccessToken {
		t.Fatal("the pre-upgrade token has no access token to protect")
	} else if _, has := v[oauth.KeyAPIBase]; has {
		t.Fatal("the pre-upgrade token still has an API Base URL row")
	}

	tokPath := "/tokens/" + itoa(id)
	f.Set("access_token", "")
	f.Set("client_secret", "")
	f.Set(oauth.KeyAPIBase, "https://attacker.example/v1/")
	f.Set("version", editVersion(t, ts.get(tokPath)))
	if p := ts.post(tokPath, f); p.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Enter the Client Secret again: the API Base URL changed") {
		t.Fatalf("Save with a first API Base URL and no Client Secret: %d, want the Client Secret asked for again", p.StatusCode)
	}
	f.Set("client_secret", "anything")
	wantRedirect(t, ts.post(tokPath, f), "/tokens")
	if flash := ts.get("/tokens").text("[data-testid=flash]"); !strings.Contains(flash, "The API Base URL changed, so its stored access token was dropped") {
		t.Errorf("flash %q", flash)
	}
	if got := rec.carrying("attacker.example", movedAccessToken); len(got) > 0 {
		t.Fatalf("the typed API Base URL received the stored access token: %q", got)
	}
	if v, _ := ts.store.TokenValues(t.Context(), id); v["access_token"] != "" || v["refresh_token"] != "" {
		t.Fatal("the saved token still holds the grant obtained before the API Base URL was typed")
	}
}
