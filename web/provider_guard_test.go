package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/renewal"
)

// getTokenWith presses Get OAuth 2.0 Access Token on a new client
// credentials form whose Token URL is tokenURL and returns the result.
func getTokenWith(t *testing.T, ts *testServer, emu *oauthtest.Server, tokenURL string) (string, page) {
	t.Helper()
	ts.get("/tokens/new/oauth2")
	f := oauthForm("Reports", emu, "client_credentials", oauthtest.ClientSecretBasic)
	f.Set("token_url", tokenURL)
	f.Set("action", "get_token")
	p := ts.post("/tokens/new/oauth2", f)
	s, _ := resultOf(p, "get_token")
	return s, p
}

func allowPrivateTargets(t *testing.T, ts *testServer, on bool) {
	t.Helper()
	ts.get("/settings")
	f := url.Values{}
	if on {
		f.Set("allow_private", "on")
	}
	wantRedirect(t, ts.post("/settings/providers/private", f), "/settings")
}

// A Token URL typed on a form reaches no loopback, private, link-local or
// otherwise internal address (issue 18.2), however it is written, and the
// refusal reads the same whether something listens there or not, so it
// cannot be used to scan ports. An administrator can allow private
// targets in Settings.
func TestTypedTokenURLNeverReachesPrivateAddresses(t *testing.T) {
	ts := newTestServer(t, withProviderGuard())
	emu := startOAuth(t, ts, oauthtest.Options{}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	emuURL, _ := url.Parse(emu.TokenURL())

	open, _ := getTokenWith(t, ts, emu, emu.TokenURL())
	closed, _ := getTokenWith(t, ts, emu, "http://127.0.0.1:1/token")
	if !strings.Contains(open, "private network") || strings.ReplaceAll(open, emuURL.Host, "HOST") != strings.ReplaceAll(closed, "127.0.0.1:1", "HOST") {
		t.Fatalf("an open and a closed private port read differently:\n%q\n%q", open, closed)
	}
	for _, u := range []string{
		"http://localhost:" + emuURL.Port() + "/token", // a name resolving to loopback: checked as dialled
		"http://169.254.169.254/latest/meta-data/",     // cloud metadata
		"http://100.100.100.200/token",                 // 100.64.0.0/10 (a cloud's metadata lives there)
		"http://198.18.0.1/token",                      // 198.18.0.0/15
		"http://0.0.0.0:" + emuURL.Port() + "/token",   // 0.0.0.0/8 reaches this machine
		"http://[::ffff:127.0.0.1]:" + emuURL.Port() + "/token",
		"http://[64:ff9b::7f00:1]/token", // NAT64 of 127.0.0.1
		"http://[2002:7f00:1::1]/token",  // 6to4 of 127.0.0.1
		"http://10.0.0.1/token",
		"http://[fd00::1]/token",
	} {
		if s, _ := getTokenWith(t, ts, emu, u); !strings.Contains(s, "private network") {
			t.Errorf("Token URL %s: %q", u, s)
		}
	}
	if emu.Issued() != 0 {
		t.Fatalf("the emulator on loopback issued %d tokens", emu.Issued())
	}

	settings := ts.get("/settings")
	if box := settings.Doc.Find("[data-testid=provider-private-form] input#providers_allow_private"); box.Length() != 1 || box.Is("[checked]") {
		t.Fatal("Settings has no unticked Allow Token URLs on private addresses")
	}
	allowPrivateTargets(t, ts, true)
	if !ts.get("/settings").Doc.Find("input#providers_allow_private").Is("[checked]") {
		t.Fatal("the setting does not show as on")
	}
	if s, _ := getTokenWith(t, ts, emu, emu.TokenURL()); !strings.Contains(s, "Obtained an OAuth 2.0 access token") {
		t.Fatalf("with private targets allowed: %q", s)
	}
}

// A token endpoint's redirect is never followed (a 307/308 would re-send
// the client secret to wherever it points), even where private targets are
// allowed; the person is told the status.
func TestTokenRequestsNeverFollowRedirects(t *testing.T) {
	ts := newTestServer(t, withProviderGuard())
	emu := startOAuth(t, ts, oauthtest.Options{}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	allowPrivateTargets(t, ts, true)
	var reached atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		http.Error(w, "internal", http.StatusTeapot)
	}))
	defer target.Close()
	for _, code := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
		redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/steal", code)
		}))
		s, p := getTokenWith(t, ts, emu, redirect.URL+"/token")
		redirect.Close()
		if !strings.Contains(s, "redirect (HTTP "+itoa(int64(code))+")") {
			t.Errorf("%d: %q", code, s)
		}
		noSecrets(t, "the page", p.Body, oauthSecret)
	}
	if reached.Load() != 0 {
		t.Fatalf("a redirect was followed %d times", reached.Load())
	}
}

// What an arbitrary server answers is never shown: only an OAuth 2.0
// error answer (JSON with an error code) is quoted; anything else is
// named by its status.
func TestTokenURLAnswersAreNotReflected(t *testing.T) {
	ts := newTestServer(t, withProviderGuard())
	emu := startOAuth(t, ts, oauthtest.Options{}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	allowPrivateTargets(t, ts, true)
	for _, c := range []struct {
		status      int
		contentType string
		body        string
	}{
		{400, "text/plain", "db password is hunter2"},
		{400, "application/x-www-form-urlencoded", "error=db+password+is+hunter2&error_description=hunter2"},
		{401, "text/html", `{"error":"hunter2"}`},
		{400, "application/json", `{"error":"db password is hunter2"}`},
		{200, "text/plain", "db password is hunter2"},
		{200, "application/x-www-form-urlencoded", "error=hunter2"},
	} {
		internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", c.contentType)
			w.WriteHeader(c.status)
			io.WriteString(w, c.body)
		}))
		s, p := getTokenWith(t, ts, emu, internal.URL+"/token")
		internal.Close()
		if strings.Contains(p.Body, "hunter2") || s == "" {
			t.Errorf("%d %s %q: the answer reached the page: %q", c.status, c.contentType, c.body, s)
		}
	}
	if strings.Contains(ts.logs.String(), "hunter2") {
		t.Fatal("an internal answer reached the log")
	}
}

// The renewal worker goes through the same guard: a token saved while
// private targets were allowed is not renewed at a private address once
// they are not.
func TestRenewalsOfTypedTokenURLsAreGuardedToo(t *testing.T) {
	ts := newTestServer(t, withProviderGuard())
	emu := startOAuth(t, ts, oauthtest.Options{AccessTTL: time.Hour}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	allowPrivateTargets(t, ts, true)
	s, p := getTokenWith(t, ts, emu, emu.TokenURL())
	if !strings.Contains(s, "Obtained") {
		t.Fatalf("get token: %q", s)
	}
	f := oauthForm("Reports", emu, "client_credentials", oauthtest.ClientSecretBasic)
	pend, _ := p.Doc.Find("input[name=pending]").Attr("value")
	f.Set("client_secret", "")
	f.Set("pending", pend)
	wantRedirect(t, ts.post("/tokens/new/oauth2", f), "/tokens")
	id := tokenIDByName(t, ts, "Reports")
	allowPrivateTargets(t, ts, false)

	issued := emu.Issued()
	ts.clock.Advance(2 * time.Hour)
	if _, err := ts.srv.Renewer.(*renewal.Worker).RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if emu.Issued() != issued {
		t.Fatal("the worker called a private address")
	}
	ts.signInAdmin()
	if e := ts.get("/tokens/" + itoa(id)).text("[data-testid=last-error]"); !strings.Contains(e, "private network") {
		t.Fatalf("last error %q", e)
	}
}

// A Test URL is typed too: it is guarded like a Token URL even when it
// names the host of a service's configured URL (here TOKENDESK_ZOOM_API_URL,
// which the emulator serves on loopback). Otherwise anyone who may edit a
// token could reach that host's loopback or private address with a
// request of their own choosing, private targets off or not.
func TestTypedTestURLOnAConfiguredHostIsGuarded(t *testing.T) {
	ts := newTestServer(t, withProviderGuard())
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	ts.get("/tokens/new/oauth2")
	f := oauthForm("Reports", emu, "authorization_code", oauthtest.ClientSecretBasic)
	f.Set("access_token", "typed-by-hand")
	f.Set("test_url", ts.zoomURL+"/v2/users/me")
	f.Set("action", "test_connection")
	if s, _ := resultOf(ts.post("/tokens/new/oauth2", f), "test_connection"); !strings.Contains(s, "private network") {
		t.Fatalf("a Test URL on the configured Zoom host, resolving to loopback, was called: %q", s)
	}
	allowPrivateTargets(t, ts, true)
	if s, _ := resultOf(ts.post("/tokens/new/oauth2", f), "test_connection"); strings.Contains(s, "private network") {
		t.Fatalf("with private targets allowed: %q", s)
	}
}
