package web

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/tokendesk/tokendesk/internal/config"
)

// postLogin signs in from a fresh browser without touching ts.last, so
// that it can run in parallel.
func (ts *testServer) loginAttempt(t *testing.T, client *http.Client, csrf, email, password string, header http.Header) *http.Response {
	t.Helper()
	form := url.Values{"email": {email}, "password": {password}, "_csrf": {csrf}}
	req, _ := http.NewRequest(http.MethodPost, ts.http.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Error(err)
		return nil
	}
	resp.Body.Close()
	return resp
}

// Parallel wrong passwords for one account cannot all run before the lock:
// each attempt is counted before its password is compared.
func TestParallelWrongPasswordsHitTheLock(t *testing.T) {
	ts := newTestServer(t)
	ts.get("/login")
	csrf := ts.csrf()
	const n = 50
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if resp := ts.loginAttempt(t, ts.client, csrf, adminEmail, "wrong password!", nil); resp != nil {
				statuses <- resp.StatusCode
			}
		})
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	// 5 free failures, the 6th locks the account.
	if count[http.StatusUnprocessableEntity] > 6 || count[http.StatusUnprocessableEntity] == 0 ||
		count[http.StatusTooManyRequests] < n-6-count[http.StatusServiceUnavailable] ||
		count[422]+count[429]+count[503] != n {
		t.Fatalf("statuses %v: want at most 6 passwords checked, the rest refused", count)
	}
	// The right password waits too.
	if resp := ts.loginAttempt(t, ts.client, csrf, adminEmail, adminPassword, nil); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("locked account: %d", resp.StatusCode)
	}
}

// Password comparisons running at once are bounded: beyond the bound a
// sign-in is turned away with 503 and Retry-After, and is not counted.
func TestSignInsBeyondTheBoundAreTurnedAway(t *testing.T) {
	ts := newTestServer(t)
	ts.srv.signInWait = 0
	for range cap(ts.srv.signIns) {
		ts.srv.signIns <- struct{}{}
	}
	ts.get("/login")
	for range 8 { // more than the 5 free failures: none of them counts
		busy := ts.post("/login", url.Values{"email": {adminEmail}, "password": {"wrong password!"}})
		wantStatus(t, busy, http.StatusServiceUnavailable)
		if busy.Header.Get("Retry-After") == "" || !strings.Contains(busy.text("[data-testid=login-error]"), "Try again in a moment") {
			t.Fatalf("busy answer: %q %q", busy.Header.Get("Retry-After"), busy.text("[data-testid=login-error]"))
		}
	}
	if h := ts.get("/healthz"); h.StatusCode != http.StatusOK {
		t.Fatalf("healthz %d while sign-ins are busy", h.StatusCode)
	}
	for range cap(ts.srv.signIns) {
		<-ts.srv.signIns
	}
	ts.signInAdmin()
}

// X-Forwarded-For from anyone but a configured proxy is ignored: a forged
// header neither dodges the per-address limit nor reaches the log.
func TestForwardedForIsBelievedOnlyFromTrustedProxies(t *testing.T) {
	attempts := func(ts *testServer) (last int) {
		ts.get("/login")
		csrf := ts.csrf()
		// 21 different accounts, so only the address limit (20 free) can lock.
		for i := range 22 {
			h := http.Header{"X-Forwarded-For": {"203.0.113." + itoa(int64(i+1))}}
			last = ts.loginAttempt(t, ts.client, csrf, "nobody"+itoa(int64(i))+"@example.com", "wrong password!", h).StatusCode
		}
		return last
	}

	ts := newTestServer(t)
	if got := attempts(ts); got != http.StatusTooManyRequests {
		t.Fatalf("forged X-Forwarded-For dodged the address limit: last attempt %d", got)
	}
	if logs := ts.logs.String(); strings.Contains(logs, "203.0.113.") || !strings.Contains(logs, "ip=127.0.0.1") {
		t.Fatal("the log records the forged address, not the real one")
	}

	// Behind a configured proxy (here: loopback) the forwarded address is the client's.
	proxied := newTestServer(t, withConfig(func(c *config.Config) {
		_, n, _ := net.ParseCIDR("127.0.0.0/8")
		c.TrustedProxies = []*net.IPNet{n}
	}))
	if got := attempts(proxied); got != http.StatusUnprocessableEntity {
		t.Fatalf("behind a trusted proxy, distinct clients were throttled together: %d", got)
	}
	if !strings.Contains(proxied.logs.String(), "ip=203.0.113.22") {
		t.Fatal("the log does not record the forwarded client address")
	}
}
