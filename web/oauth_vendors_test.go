package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/oauth"
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/renewal"
)

// vendorRoute sends requests for the presets' fixed vendor hosts
// (www.googleapis.com, graph.microsoft.com, …) to the emulator standing in
// for them, path and query kept, as DNS would in a test lab: the preset's
// own "who am I" URL is what is exercised, not a test-only one.
type vendorRoute struct {
	mu sync.Mutex
	to *url.URL
}

func (v *vendorRoute) set(base string) {
	u, _ := url.Parse(base)
	v.mu.Lock()
	v.to = u
	v.mu.Unlock()
}

func (v *vendorRoute) RoundTrip(r *http.Request) (*http.Response, error) {
	v.mu.Lock()
	to := v.to
	v.mu.Unlock()
	if to != nil && r.URL.Hostname() != "127.0.0.1" {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host, r.Host = to.Scheme, to.Host, to.Host
	}
	return http.DefaultTransport.RoundTrip(r)
}

func withVendorRoute(v *vendorRoute) testOption {
	return func(d *testSetup) { d.HTTPClient = &http.Client{Timeout: provider.DefaultTimeout, Transport: v} }
}

// savePreset connects a preset through the emulator and saves it; it
// returns the form values (as saved, secrets left empty) and the list page
// the save led to.
func savePreset(t *testing.T, ts *testServer, emu *oauthtest.Server, id, name string, extra url.Values) (url.Values, page) {
	t.Helper()
	f := url.Values{"name": {name}, "grant_type": {"authorization_code"}, "client_id": {oauthClientID}, "client_secret": {oauthSecret},
		"client_auth": {oauth.AuthPost}, "auth_url": {emu.AuthURL()}, "token_url": {emu.TokenURL()}, "pkce": {"on"}, "renewal_rate": {"1h"}}
	for k, v := range extra {
		f[k] = v
	}
	ts.get("/tokens/new/" + id)
	_, _, back := consent(t, ts, "/tokens/new/"+id, f)
	pend, _ := back.Doc.Find("input[name=pending]").Attr("value")
	f.Set("client_secret", "")
	f.Set("pending", pend)
	wantRedirect(t, ts.post("/tokens/new/"+id, f), "/tokens")
	return f, ts.get("/tokens")
}

// Test Connection on every preset names the account reached, through the
// vendor's own "who am I" request answered in the vendor's shape; Save
// tests the same and says so; a revoked grant (RFC 7009 §2.1: its access
// tokens die with it) makes the test fail with the 401 named, yet the save
// still stands.
func TestOAuthTestConnectionNamesTheAccountOnEveryPreset(t *testing.T) {
	route := &vendorRoute{}
	ts := newTestServer(t, withVendorRoute(route))
	ts.signInAdmin()
	// The six presets that came first, against the generic emulator;
	// TestCatalogueEveryServiceEndToEnd runs every row against its vendor.
	for _, ps := range oauth.Presets[:6] {
		t.Run(ps.Name, func(t *testing.T) {
			if ps.WhoAmI == nil {
				t.Fatal("the preset declares no who-am-I request")
			}
			if ps.ID == "oauth2-zoom-user" {
				t.Skip("Zoom's who-am-I is /v2/users/me on Zoom's emulator: TestOAuthZoomUserTestConnectionAndDemoURL")
			}
			emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretPost)
			base := strings.TrimSuffix(emu.TokenURL(), "/token")
			route.set(base)
			emu.SetExtra(map[string]any{"instance_url": base, "api_url": base})
			extra := url.Values{}
			for _, fd := range ps.Fields {
				extra.Set(fd.Key, fd.Default)
			}
			name := "Who " + strings.ReplaceAll(ps.ID[len("oauth2-"):], "-", " ")
			f, list := savePreset(t, ts, emu, ps.ID, name, extra)
			want := "Connected to " + ps.Name + " as Demo User (demo.user@oauth.example)."
			if got := list.text("[data-testid=flash]"); got != "Access token “"+name+"” saved. Tested (Test Connection): "+want {
				t.Fatalf("flash %q", got)
			}
			id := tokenIDByName(t, ts, name)
			tokPath := "/tokens/" + itoa(id)
			edit := ts.get(tokPath)
			f.Set("version", editVersion(t, edit))
			f.Set("action", "test_connection")
			f.Del("pending")
			p := ts.post(tokPath, f)
			summary, steps := resultOf(p, "test_connection")
			if summary != want || len(steps) < 3 || !strings.Contains(steps[len(steps)-1], "says this access token belongs to Demo User") {
				t.Fatalf("Test Connection %q %v", summary, steps)
			}

			// The grant revoked at the service: its access token is dead.
			values, _ := ts.store.TokenValues(t.Context(), id)
			emu.RevokeGrant(values["refresh_token"])
			p = ts.post(tokPath, f)
			if s, _ := resultOf(p, "test_connection"); !strings.HasPrefix(s, ps.Name+" did not accept the access token (HTTP 401)") {
				t.Fatalf("after revocation %q", s)
			}
			f.Del("action")
			f.Set("description", "changed after revocation")
			wantRedirect(t, ts.post(tokPath, f), "/tokens")
			flash := ts.get("/tokens").text("[data-testid=flash]")
			if !strings.HasPrefix(flash, "Access token “"+name+"” saved. Its test (Test Connection) failed: "+ps.Name+" did not accept the access token (HTTP 401)") {
				t.Fatalf("flash %q", flash)
			}
			if tok, _ := ts.store.TokenByID(t.Context(), id); tok.Description != "changed after revocation" {
				t.Fatal("a failed test lost the save")
			}
		})
	}
}

// The generic form tests the Test URL when one is given; without one a
// Save says nothing of a test, and Test Connection says what to enter.
func TestOAuthGenericTestURL(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	f := oauthForm("Plain Service", emu, "authorization_code", oauthtest.ClientSecretBasic)
	ts.get("/tokens/new/oauth2")
	_, _, back := consent(t, ts, "/tokens/new/oauth2", f)
	f.Set("action", "test_connection")
	f.Set("client_secret", "")
	pend, _ := back.Doc.Find("input[name=pending]").Attr("value")
	f.Set("pending", pend)
	// The token obtained but not saved yet is the one tested.
	if s, _ := resultOf(ts.post("/tokens/new/oauth2", f), "test_connection"); !strings.HasPrefix(s, "Enter a Test URL") {
		t.Fatalf("without a Test URL %q", s)
	}
	f.Set("test_url", emu.UserinfoURL())
	if s, _ := resultOf(ts.post("/tokens/new/oauth2", f), "test_connection"); s != "Connected to "+strings.TrimPrefix(strings.TrimSuffix(emu.TokenURL(), "/token"), "http://")+" as Demo User (demo.user@oauth.example)." {
		t.Fatalf("with a Test URL %q", s)
	}
	f.Del("action")
	wantRedirect(t, ts.post("/tokens/new/oauth2", f), "/tokens")
	if flash := ts.get("/tokens").text("[data-testid=flash]"); !strings.HasSuffix(flash, "as Demo User (demo.user@oauth.example).") {
		t.Fatalf("flash %q", flash)
	}
}

// Save tests the Zoom (Server-to-Server OAuth) token and says whose
// account it reached; wrong credentials are saved with the failure named.
func TestSaveTestsZoomAndKeepsAFailedSave(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	f := url.Values{"name": {"Zoom Meetings"}, "region": {"zoom"}, "account_id": {zoomAccount}, "client_id": {zoomClient}, "client_secret": {zoomClientSecret}, "renewal_rate": {"1h"}}
	ts.get("/tokens/new/zoom-s2s")
	wantRedirect(t, ts.post("/tokens/new/zoom-s2s", f), "/tokens")
	if flash := ts.get("/tokens").text("[data-testid=flash]"); flash != "Access token “Zoom Meetings” saved. Tested (Test Connection): Connected to Zoom as Ada Lovelace <ada@zoom.example> in account zm-account-1." {
		t.Fatalf("flash %q", flash)
	}
	f.Set("name", "Zoom Wrong")
	f.Set("client_secret", "not-the-secret")
	wantRedirect(t, ts.post("/tokens/new/zoom-s2s", f), "/tokens")
	list := ts.get("/tokens")
	if flash := list.text("[data-testid=flash]"); !strings.HasPrefix(flash, "Access token “Zoom Wrong” saved. Its test (Test Connection) failed: ") ||
		strings.Contains(flash, "not-the-secret") {
		t.Fatalf("flash %q", flash)
	}
	tokenIDByName(t, ts, "Zoom Wrong")
}

// Salesforce sends no expires_in: the expiry is read by introspection at
// {instance_url}/services/oauth2/introspect. The generic form's "Access
// token lifetime" gives one to a service that says nothing at all. No
// grant is stored without an expiry, and renewals keep it.
func TestOAuthExpiryWhenTheServiceDoesNotSay(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true, NoExpiresIn: true, AccessTTL: 2 * time.Hour}, oauthtest.ClientSecretPost)
	base := strings.TrimSuffix(emu.TokenURL(), "/token")
	emu.SetExtra(map[string]any{"instance_url": base, "id": base + "/id/00D/005"})
	savePreset(t, ts, emu, "oauth2-salesforce", "Sales Org", url.Values{"salesforce_login": {"production"}})
	id := tokenIDByName(t, ts, "Sales Org")
	tok, _ := ts.store.TokenByID(t.Context(), id)
	if want := ts.clock.Now().Add(2 * time.Hour); !tok.ExpiresAt.Equal(want.Truncate(time.Second)) {
		t.Fatalf("Salesforce expiry %v, want %v (by introspection)", tok.ExpiresAt, want)
	}
	key := createClient(t, ts, "/clients", "Sales sync")
	if a := apiGet(t, ts, key, "Sales Org"); a.Status != 200 || a.Token["id"] != base+"/id/00D/005" {
		t.Fatalf("runtime API %d %v", a.Status, a.Token)
	}

	plain := startOAuth(t, ts, oauthtest.Options{AutoApprove: true, NoExpiresIn: true}, oauthtest.ClientSecretBasic)
	f := oauthForm("Quiet Service", plain, "authorization_code", oauthtest.ClientSecretBasic)
	f.Set("access_lifetime", "30m")
	_, _, back := consent(t, ts, "/tokens/new/oauth2", f)
	pend, _ := back.Doc.Find("input[name=pending]").Attr("value")
	f.Set("client_secret", "")
	f.Set("pending", pend)
	wantRedirect(t, ts.post("/tokens/new/oauth2", f), "/tokens")
	qid := tokenIDByName(t, ts, "Quiet Service")
	tok, _ = ts.store.TokenByID(t.Context(), qid)
	if want := ts.clock.Now().Add(30 * time.Minute); !tok.ExpiresAt.Equal(want) {
		t.Fatalf("generic expiry %v, want %v", tok.ExpiresAt, want)
	}
	// Renewed before that lifetime ends, and the renewal has one too.
	ts.clock.Advance(28 * time.Minute)
	if _, err := ts.srv.Renewer.(*renewal.Worker).RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	tok, _ = ts.store.TokenByID(t.Context(), qid)
	if want := ts.clock.Now().Add(30 * time.Minute); plain.Refreshes() != 1 || !tok.ExpiresAt.Equal(want) {
		t.Fatalf("after renewal: %d refreshes, expiry %v want %v (%s)", plain.Refreshes(), tok.ExpiresAt, want, tok.LastError)
	}
}

func editVersion(t *testing.T, p page) string {
	t.Helper()
	v, ok := p.Doc.Find("#token-form input[name=version]").Attr("value")
	if !ok || v == "" || v == "0" {
		t.Fatalf("no version on the edit form")
	}
	return v
}

// The Zoom user OAuth preset as it comes (zoom.us URLs) follows the Zoom
// the process is pointed at (TOKENDESK_ZOOM_OAUTH_URL, as make demo sets
// it) instead of the real zoom.us; Save tests it with Zoom's
// /v2/users/me at the api_url Zoom gave; revoking the user's
// authorization kills its access token too, and the renewal that follows
// asks for a reconnect quoting Zoom's reason.
func TestOAuthZoomUserTestConnectionAndDemoURL(t *testing.T) {
	ts := newTestServer(t)
	ts.zoom.AddUserApp(zoomAccount, "zu-client", "zu-secret-55", ts.srv.redirectURI())
	ts.zoom.SetAutoApprove(true)
	ts.signInAdmin()
	ps, ok := oauth.PresetByID("oauth2-zoom-user")
	if !ok {
		t.Fatal("no Zoom user OAuth preset")
	}
	ts.get("/tokens/new/oauth2-zoom-user")
	f := url.Values{"name": {"Zoom Calendar"}, "grant_type": {"authorization_code"}, "client_id": {"zu-client"}, "client_secret": {"zu-secret-55"},
		"client_auth": {"client_secret_basic"}, "auth_url": {ps.AuthURL}, "token_url": {ps.TokenURL}, "zoom_cloud": {"zoom"},
		"pkce": {"on"}, "renewal_rate": {"1h"}}
	start, _, p := consent(t, ts, "/tokens/new/oauth2-zoom-user", f)
	if !strings.HasPrefix(start, ts.zoomURL+"/oauth/authorize?") {
		t.Fatalf("sent to %s, not the Zoom the process is pointed at", start)
	}
	pend, _ := p.Doc.Find("input[name=pending]").Attr("value")
	f.Set("client_secret", "")
	f.Set("pending", pend)
	wantRedirect(t, ts.post("/tokens/new/oauth2-zoom-user", f), "/tokens")
	if flash := ts.get("/tokens").text("[data-testid=flash]"); flash != "Access token “Zoom Calendar” saved. Tested (Test Connection): Connected to Zoom user OAuth as Ada Lovelace (ada@zoom.example)." {
		t.Fatalf("flash %q", flash)
	}
	id := tokenIDByName(t, ts, "Zoom Calendar")
	values, _ := ts.store.TokenValues(t.Context(), id)
	ts.zoom.RevokeRefreshToken(values["refresh_token"])
	tokPath := "/tokens/" + itoa(id)
	f.Set("version", editVersion(t, ts.get(tokPath)))
	f.Set("action", "test_connection")
	f.Del("pending")
	if s, _ := resultOf(ts.post(tokPath, f), "test_connection"); !strings.HasPrefix(s, "Zoom user OAuth did not accept the access token (HTTP 401)") ||
		!strings.Contains(s, "Invalid access token.") {
		t.Fatalf("after revocation %q", s)
	}
	ts.clock.Advance(time.Hour)
	if _, err := ts.srv.Renewer.(*renewal.Worker).RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	tok, _ := ts.store.TokenByID(t.Context(), id)
	if !tok.NeedsReconnect || !strings.Contains(tok.LastError, "“Invalid Token!”") {
		t.Fatalf("needs reconnect %v: %s", tok.NeedsReconnect, tok.LastError)
	}
}
