package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/client"
	"github.com/tokendesk/tokendesk/internal/engine"
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/store"
)

// recorded is one request as the service behind the proxy received it.
type recorded struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

// recordingUpstream plays a service's API: it records every request,
// refuses (401) the access tokens it is told to, and answers a few paths
// as a service might (a redirect, a 429, a slow call).
type recordingUpstream struct {
	*httptest.Server
	mu        sync.Mutex
	reqs      []recorded
	refused   map[string]bool
	cancelled chan struct{}
}

func startUpstream(t *testing.T) *recordingUpstream {
	u := &recordingUpstream{refused: map[string]bool{}, cancelled: make(chan struct{}, 1)}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/slow" {
			u.record(r, nil)
			<-r.Context().Done() // the app went away: tokendesk must cancel this
			u.cancelled <- struct{}{}
			return
		}
		body, _ := io.ReadAll(r.Body)
		u.record(r, body)
		access, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		u.mu.Lock()
		refused := u.refused[access]
		u.mu.Unlock()
		switch {
		case refused:
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
		case r.URL.Path == "/v1/moved":
			http.Redirect(w, r, "https://elsewhere.example/v1/items", http.StatusFound)
		case r.URL.Path == "/v1/busy":
			w.Header().Set("Retry-After", "7")
			http.Error(w, `{"error":"rate_limited"}`, http.StatusTooManyRequests)
		default:
			http.SetCookie(w, &http.Cookie{Name: "svc", Value: "1"})
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"path": r.URL.Path, "got": len(body)})
		}
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *recordingUpstream) record(r *http.Request, body []byte) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.reqs = append(u.reqs, recorded{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
}

func (u *recordingUpstream) refuse(access string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.refused[access] = true
}

// seen is what the upstream received so far.
func (u *recordingUpstream) seen() []recorded {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]recorded(nil), u.reqs...)
}

// connectWithAPI connects a generic OAuth 2.0 token to the emulator with
// an API Base URL, as a person does on the form.
func connectWithAPI(t *testing.T, ts *testServer, emu *oauthtest.Server, name, apiBase string) int64 {
	t.Helper()
	ts.get("/tokens/new/oauth2")
	f := oauthForm(name, emu, "authorization_code", oauthtest.ClientSecretBasic)
	f.Set("api_base_url", apiBase)
	_, _, p := consent(t, ts, "/tokens/new/oauth2", f)
	pend, _ := p.Doc.Find("input[name=pending]").Attr("value")
	f.Set("client_secret", "")
	f.Set("pending", pend)
	wantRedirect(t, ts.post("/tokens/new/oauth2", f), "/tokens")
	return tokenIDByName(t, ts, name)
}

// proxied is an answer of the proxy.
type proxied struct {
	Status int
	Header http.Header
	Body   string
}

func (p proxied) code() string {
	var e struct{ Error struct{ Code string } }
	json.Unmarshal([]byte(p.Body), &e)
	return e.Error.Code
}

func proxyDo(t *testing.T, ts *testServer, key, method, path string, body io.Reader, header ...string) proxied {
	t.Helper()
	req, err := http.NewRequest(method, ts.http.URL+"/api/v1/proxy/"+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req) // redirects are the app's to see
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return proxied{Status: resp.StatusCode, Header: resp.Header, Body: string(raw)}
}

// rawProxy sends a request line exactly as given (no client cleans it).
func rawProxy(t *testing.T, ts *testServer, key, target string) proxied {
	t.Helper()
	conn, err := net.Dial("tcp", ts.http.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: tokendesk\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n", target, key)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return proxied{Status: resp.StatusCode, Header: resp.Header, Body: string(raw)}
}

// Issue 22 item 1: an app calls its service through tokendesk and never
// sees the token. The call reaches only the token's API Base URL, with
// the credential added and the app's own key and cookies removed; a
// redirect and a 429 come back as they are; a 401 renews the token once
// and the call is sent again; a revoked grant is the engine's refusal.
func TestAPIProxyCallsTheServiceWithoutHandingOutTheToken(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	up := startUpstream(t)
	ts.signInAdmin()
	id := connectWithAPI(t, ts, emu, "Team Drive", up.URL+"/v1/")
	key := createClient(t, ts, "/clients", "Backup job")
	ctx := context.Background()
	vals, _ := ts.store.TokenValues(ctx, id)
	access := vals["access_token"]

	// A typed API Base URL on this machine is refused until an
	// administrator allows private targets.
	if p := proxyDo(t, ts, key, "GET", "Team%20Drive/items", nil); p.Status != http.StatusForbidden || p.code() != "private_target" || len(up.seen()) != 0 {
		t.Fatalf("a loopback API base without permission: %d %s (%d calls)", p.Status, p.Body, len(up.seen()))
	}
	if err := ts.store.SetSetting(ctx, store.SettingProvidersAllowPrivate, "true", adminEmail); err != nil {
		t.Fatal(err)
	}

	p := proxyDo(t, ts, key, "GET", "Team%20Drive/items/a%20b?x=1&y=%2F", nil,
		"Cookie", "td_session=console", "Connection", "X-Hop", "X-Hop", "1", "X-App", "kept", "Proxy-Authorization", "Basic eA==")
	got := up.seen()
	if p.Status != http.StatusOK || len(got) != 1 {
		t.Fatalf("proxied GET: %d %s (%d calls)", p.Status, p.Body, len(got))
	}
	r := got[0]
	if r.Path != "/v1/items/a b" || r.RawQuery != "x=1&y=%2F" || r.Header.Get("Authorization") != "Bearer "+access ||
		r.Header.Get("Cookie") != "" || r.Header.Get("X-Hop") != "" || r.Header.Get("Proxy-Authorization") != "" || r.Header.Get("X-App") != "kept" {
		t.Fatalf("the service received %s %s?%s with %v", r.Method, r.Path, r.RawQuery, r.Header)
	}
	if strings.Contains(p.Body, access) || p.Header.Get("Set-Cookie") != "" || !strings.Contains(p.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("the app's answer: %v %s", p.Header, p.Body)
	}
	for k, v := range p.Header {
		if strings.Contains(strings.Join(v, " "), access) {
			t.Fatalf("the access token is in the answer's %s", k)
		}
	}

	// Paths that try to leave the API Base URL never reach a service.
	for _, bad := range []string{
		"/api/v1/proxy/Team%20Drive/../../tokens/Team%20Drive",
		"/api/v1/proxy/Team%20Drive/items/%2e%2e/%2E%2E/admin",
		"/api/v1/proxy/Team%20Drive/./items",
		"/api/v1/proxy/Team%20Drive//evil.example/x",
		"/api/v1/proxy/Team%20Drive/http://evil.example/x",
		`/api/v1/proxy/Team%20Drive/items\..\..\admin`,
		"/api/v1/proxy/Team%20Drive/items%5c..%5cadmin",
		"/api/v1/proxy/Team%20Drive/items%2f..%2f..%2fadmin",
		"/api/v1/proxy/Team%20Drive/items%00",
	} {
		if p := rawProxy(t, ts, key, bad); p.Status != http.StatusBadRequest || p.code() != "bad_path" {
			t.Errorf("%s: %d %s", bad, p.Status, p.Body)
		}
	}
	if n := len(up.seen()); n != 1 {
		t.Fatalf("escaping paths reached the service: %d calls", n)
	}

	// A redirect is the app's to follow (or not); a 429 comes back as is.
	if p := proxyDo(t, ts, key, "GET", "Team%20Drive/moved", nil); p.Status != http.StatusFound || p.Header.Get("Location") != "https://elsewhere.example/v1/items" {
		t.Fatalf("a redirect: %d %v", p.Status, p.Header)
	}
	if p := proxyDo(t, ts, key, "GET", "Team%20Drive/busy", nil); p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") != "7" {
		t.Fatalf("a 429: %d %v", p.Status, p.Header)
	}
	if n := len(up.seen()); n != 3 {
		t.Fatalf("%d calls after a redirect and a 429, want 3: nothing is retried", n)
	}

	// The service refuses the token: renewed once, the call sent again
	// with its body.
	up.refuse(access)
	refreshes := emu.Refreshes()
	ts.clock.Advance(time.Minute)
	p = proxyDo(t, ts, key, "POST", "Team%20Drive/items", strings.NewReader(`{"name":"x"}`), "Content-Type", "application/json")
	got = up.seen()[3:]
	vals, _ = ts.store.TokenValues(ctx, id)
	renewed := vals["access_token"]
	if p.Status != http.StatusOK || len(got) != 2 || emu.Refreshes() != refreshes+1 || renewed == access ||
		got[1].Header.Get("Authorization") != "Bearer "+renewed || string(got[1].Body) != `{"name":"x"}` || p.Header.Get(RenewedHeader) != "true" {
		t.Fatalf("401 then renew: %d %s; %d calls, %d refreshes, retried with %q body %q", p.Status, p.Body, len(got),
			emu.Refreshes()-refreshes, got[len(got)-1].Header.Get("Authorization"), got[len(got)-1].Body)
	}

	// A body too large to replay: the 401 comes back, saying the token
	// was renewed, and the app sends it again.
	up.refuse(renewed)
	ts.clock.Advance(time.Minute)
	big := bytes.Repeat([]byte("x"), 3<<20/2)
	p = proxyDo(t, ts, key, "PUT", "Team%20Drive/files/big", bytes.NewReader(big))
	vals, _ = ts.store.TokenValues(ctx, id)
	if p.Status != http.StatusUnauthorized || p.Header.Get(RenewedHeader) != "true" || vals["access_token"] == renewed || len(up.seen()) != 6 {
		t.Fatalf("a 401 on a large body: %d %v %s; %d calls", p.Status, p.Header, p.Body, len(up.seen()))
	}
	if p := proxyDo(t, ts, key, "PUT", "Team%20Drive/files/big", bytes.NewReader(big)); p.Status != http.StatusOK || !strings.Contains(p.Body, `"got":1572864`) {
		t.Fatalf("sent again: %d %s", p.Status, p.Body)
	}

	// The grant is revoked at the service: the engine's refusal, and the
	// app is told to have the token connected again.
	up.refuse(vals["access_token"])
	emu.RevokeGrant(vals["refresh_token"])
	ts.clock.Advance(time.Minute)
	p = proxyDo(t, ts, key, "GET", "Team%20Drive/items", nil)
	if p.Status != http.StatusConflict || p.code() != "needs_reconnect" {
		t.Fatalf("a revoked grant: %d %s", p.Status, p.Body)
	}
	calls := len(up.seen())
	if p := proxyDo(t, ts, key, "GET", "Team%20Drive/items", nil); p.Status != http.StatusConflict || len(up.seen()) != calls {
		t.Fatalf("after the refusal: %d %s; the service called %d more times", p.Status, p.Body, len(up.seen())-calls)
	}

	// Counted in the read audit (the 403 of the private target a 4xx),
	// timed in /metrics; no token or key in
	// any log line.
	if err := ts.srv.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	reads, err := ts.store.TokenReads(ctx, id, 100)
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]int64{}
	for _, r := range reads {
		outcomes[r.Outcome] += r.Count
	}
	if outcomes["proxy_GET_2xx"] != 1 || outcomes["proxy_GET_3xx"] != 1 || outcomes["proxy_GET_4xx"] != 2 || outcomes["proxy_POST_2xx"] != 1 ||
		outcomes["proxy_PUT_4xx"] != 1 || outcomes["proxy_PUT_2xx"] != 1 || outcomes["proxy_refreshed"] != 2 ||
		outcomes["proxy_refresh_needs_reconnect"] != 1 || outcomes["proxy_needs_reconnect"] != 1 {
		t.Fatalf("read audit: %v", outcomes)
	}
	metrics := ts.get("/metrics")
	if !strings.Contains(metrics.Body, `tokendesk_http_request_duration_seconds_count{method="GET",route="/api/v1/proxy/:name/*"}`) {
		t.Fatal("proxied calls are not timed in /metrics")
	}
	noSecrets(t, "the log", ts.logs.String(), access, renewed, vals["access_token"], key)
}

// The path after the token's name is the service's, except for anything
// that could leave the API Base URL.
func TestAPIProxyPath(t *testing.T) {
	for _, c := range []struct{ in, name, rest string }{
		{"/api/v1/proxy/Team%20Drive", "Team Drive", ""},
		{"/api/v1/proxy/Team%20Drive/", "Team Drive", "/"},
		{"/api/v1/proxy/a/v2/items/1", "a", "/v2/items/1"},
		{"/api/v1/proxy/a/items/a%20b/", "a", "/items/a%20b/"},
		{"/api/v1/proxy/a/..x/x..", "a", "/..x/x.."},
	} {
		name, rest, msg := proxyPath(c.in)
		if name != c.name || rest != c.rest || msg != "" {
			t.Errorf("%s: %q %q %q", c.in, name, rest, msg)
		}
	}
	for _, bad := range []string{"/api/v1/proxy/a/..", "/api/v1/proxy/a/x/%2e", "/api/v1/proxy/a//x", "/api/v1/proxy/a/x%2F", "/api/v1/proxy/a/x%5C", "/api/v1/proxy/a/%zz", "/api/v1/proxy//x"} {
		if _, _, msg := proxyPath(bad); msg == "" {
			t.Errorf("%s was accepted", bad)
		}
	}
}

// An app that goes away cancels its call at the service.
func TestAPIProxyCancelsWhenTheAppGoesAway(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	up := startUpstream(t)
	ts.signInAdmin()
	connectWithAPI(t, ts, emu, "Drive", up.URL+"/v1")
	key := createClient(t, ts, "/clients", "Job")
	ts.store.SetSetting(context.Background(), store.SettingProvidersAllowPrivate, "true", adminEmail)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.http.URL+"/api/v1/proxy/Drive/slow", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	for deadline := time.Now().Add(5 * time.Second); len(up.seen()) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the call did not reach the service")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-up.cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the service's call went on after the app went away")
	}
	<-done
}

// "Only through the proxy": the credential never leaves tokendesk. A
// fetch (on the fast path and through Echo alike) and a report of a
// refused token answer 403 proxy_only; the proxy works.
func TestAPIProxyOnlyTokenIsNeverHandedOut(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	up := startUpstream(t)
	ts.signInAdmin()
	if p := ts.get("/tokens/new/oauth2"); !strings.Contains(p.Body, "Only through the proxy") || !strings.Contains(p.Body, "API Base URL") {
		t.Fatal("the generic form has no API Base URL or Only through the proxy")
	}
	ts.get("/tokens/new/oauth2")
	f := oauthForm("Vault", emu, "authorization_code", oauthtest.ClientSecretBasic)
	f.Set("api_base_url", up.URL+"/v1")
	f.Set("proxy_only", "on")
	_, _, pg := consent(t, ts, "/tokens/new/oauth2", f)
	pend, _ := pg.Doc.Find("input[name=pending]").Attr("value")
	f.Set("client_secret", "")
	f.Set("pending", pend)
	wantRedirect(t, ts.post("/tokens/new/oauth2", f), "/tokens")
	id := tokenIDByName(t, ts, "Vault")
	key := createClient(t, ts, "/clients", "Job")
	ctx := context.Background()
	ts.store.SetSetting(ctx, store.SettingProvidersAllowPrivate, "true", adminEmail)
	vals, _ := ts.store.TokenValues(ctx, id)

	fast := apiGet(t, ts, key, "Vault")
	if fast.Status != http.StatusForbidden || fast.Error.Code != "proxy_only" || !strings.Contains(fast.Error.Message, "/api/v1/proxy/Vault/") {
		t.Fatalf("a fetch: %d %+v", fast.Status, fast.Error)
	}
	// A GET with a body takes the Echo route: the same refusal.
	req, _ := http.NewRequest("GET", ts.http.URL+"/api/v1/tokens/Vault", strings.NewReader("x"))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(raw), `"proxy_only"`) || strings.Contains(string(raw), vals["access_token"]) {
		t.Fatalf("a fetch through Echo: %d %s", resp.StatusCode, raw)
	}
	if a := apiRefresh(t, ts, key, "Vault", rejected(vals["access_token"])); a.Status != http.StatusForbidden || a.Error.Code != "proxy_only" {
		t.Fatalf("a report: %d %+v", a.Status, a.Error)
	}
	if p := proxyDo(t, ts, key, "GET", "Vault/me", nil); p.Status != http.StatusOK || up.seen()[0].Header.Get("Authorization") != "Bearer "+vals["access_token"] {
		t.Fatalf("through the proxy: %d %s", p.Status, p.Body)
	}
	// The Go client library's ProxyTransport does the same for an app.
	td, err := client.New(ts.http.URL, key)
	if err != nil {
		t.Fatal(err)
	}
	svc := &http.Client{Transport: td.ProxyTransport("Vault", nil)}
	resp, err = svc.Get("https://service/files/1?fields=name")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	last := up.seen()[len(up.seen())-1]
	if resp.StatusCode != http.StatusOK || last.Path != "/v1/files/1" || last.RawQuery != "fields=name" || last.Header.Get("Authorization") != "Bearer "+vals["access_token"] {
		t.Fatalf("through client.ProxyTransport: %d, the service got %s?%s", resp.StatusCode, last.Path, last.RawQuery)
	}
}

// A service that reads the token from a header of its own (Shopify) gets
// it there and no Authorization; the read audit names proxied calls.
func TestAPIProxyPresentsAndNamesCalls(t *testing.T) {
	h := http.Header{}
	present(h, &engine.ProxyCall{Header: "X-Shopify-Access-Token", Access: "shpat_1"})
	if h.Get("X-Shopify-Access-Token") != "shpat_1" || h.Get("Authorization") != "" {
		t.Fatalf("named header: %v", h)
	}
	present(h, &engine.ProxyCall{Access: "at"})
	if h.Get("Authorization") != "Bearer at" {
		t.Fatalf("bearer: %v", h)
	}
	for code, want := range map[string]string{
		"proxy_GET_2xx":      "Proxied GET: 2xx",
		"proxy_OTHER_5xx":    "Proxied OTHER: 5xx",
		"proxy_refreshed":    "Proxied call: token renewed after the service refused it",
		"proxy_not_found":    "Proxied call refused: no such token",
		"proxy_only":         "Refused: only through the proxy", // a fetch's refusal, not a proxied call
		"proxy_unauthorized": "Proxied call refused: no valid key",
	} {
		if got := readOutcome(code); got != want {
			t.Errorf("%s: %q, want %q", code, got, want)
		}
	}
	if got := engine.ProxyOutcome("BREW", 418); got != "proxy_OTHER_4xx" {
		t.Errorf("an unusual method: %s", got)
	}
}

// A Zoom Server-to-Server token is proxied to the api_url Zoom named with
// it, under /v2, against the Zoom emulator: the app reads /users/me
// without ever holding the token.
func TestAPIProxyReachesZoomThroughItsAPIURL(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.zoom.SetBaseURL(ts.zoomURL)
	ts.get("/tokens/new/zoom-s2s")
	form := url.Values{"name": {"Meetings"}, "region": {"zoom"}, "account_id": {zoomAccount}, "client_id": {zoomClient},
		"client_secret": {zoomClientSecret}, "renewal_rate": {"1h"}, "action": {"get_token"}}
	p := ts.post("/tokens/new/zoom-s2s", form)
	pending, _ := p.Doc.Find("input[name=pending]").Attr("value")
	form.Del("action")
	form.Set("pending", pending)
	wantRedirect(t, ts.post("/tokens/new/zoom-s2s", form), "/tokens")
	key := createClient(t, ts, "/clients", "Scheduler")
	got := proxyDo(t, ts, key, "GET", "Meetings/users/me", nil)
	if got.Status != http.StatusOK || !strings.Contains(got.Body, "ada@zoom.example") {
		t.Fatalf("Zoom through the proxy: %d %s", got.Status, got.Body)
	}
}

// A token without an API Base URL says so, and what to do.
func TestAPIProxyWithoutAnAPIBase(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	connect(t, ts, emu, "Plain", "1h")
	key := createClient(t, ts, "/clients", "Job")
	p := proxyDo(t, ts, key, "GET", "Plain/me", nil)
	if p.Status != http.StatusConflict || p.code() != "no_api" || !strings.Contains(p.Body, "API Base URL") {
		t.Fatalf("no API base: %d %s", p.Status, p.Body)
	}
	if p := proxyDo(t, ts, "tdk_wrong", "GET", "Plain/me", nil); p.Status != http.StatusUnauthorized || p.code() != "unauthorized" {
		t.Fatalf("a wrong key: %d %s", p.Status, p.Body)
	}
	if p := proxyDo(t, ts, key, "GET", "Nobody/me", nil); p.Status != http.StatusNotFound {
		t.Fatalf("no such token: %d %s", p.Status, p.Body)
	}
}
