package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/config"
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/store"
)

// Issue 22 item 2: the User-Agent parser (5 MB of small objects the
// collector marks on every cycle) is held only while the console is in
// use. Apps fetching tokens and calling through the proxy never build it;
// a signed-in person's page starts it, /sessions names devices with it,
// and it is let go once unused for its keep time, then built again when
// wanted.
func TestUserAgentParserHeldOnlyWhileTheConsoleIsUsed(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{}`)) }))
	t.Cleanup(up.Close)
	ts := newTestServer(t, withConfig(func(c *config.Config) { c.APIRateLimit = 1e9 }))
	ua := &uaParsers{keep: 300 * time.Millisecond}
	ts.srv.ua = ua // its own, not the process's shared one

	// Setting up: an administrator's pages (which warm it), then let go.
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	saveRedox(t, ts, "/tokens", "Lab Feed")
	connectWithAPI(t, ts, emu, "Files", up.URL+"/v1")
	key := createClient(t, ts, "/clients", "Feeder")
	ts.store.SetSetting(context.Background(), store.SettingProvidersAllowPrivate, "true", adminEmail)
	if !ua.held() {
		t.Fatal("a signed-in person's pages did not start the parser")
	}
	waitFor(t, "the parser let go when unused", func() bool { return !ua.held() })

	// The runtime API and the proxy, for a while: never built.
	for end := time.Now().Add(500 * time.Millisecond); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		for _, path := range []string{"/api/v1/tokens/Lab%20Feed", "/api/v1/proxy/Files/items", "/api/v1/tokens/Nothing"} {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Authorization", "Bearer "+key)
			w := httptest.NewRecorder()
			ts.srv.ServeHTTP(w, req)
		}
		if ua.held() {
			t.Fatal("the runtime API built the User-Agent parser")
		}
	}

	// The console: /sessions names the device.
	a := browser(ts, chromeLinux)
	a.signInAdmin()
	rows, _ := sessionRows(t, a.get("/sessions"))
	found := false
	for _, r := range rows {
		found = found || r.device == "Chrome on Linux"
	}
	if !found || !ua.held() {
		t.Fatalf("sessions: %+v (parser held: %v)", rows, ua.held())
	}
	waitFor(t, "the parser let go when unused", func() bool { return !ua.held() })
	if rows, _ := sessionRows(t, a.get("/sessions")); len(rows) == 0 || !ua.held() {
		t.Fatalf("after it was let go, /sessions: %+v (parser held: %v)", rows, ua.held())
	}
}

// waitFor waits up to 5 s for cond.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("waited 5 s: %s", what)
}
