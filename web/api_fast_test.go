package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/config"
)

// Issue 20 item 4: fetches are served in front of Echo for speed. Every
// answer, refusals included, is what the Echo route gives: status, body
// and every header.
func TestFastFetchAnswersAsEcho(t *testing.T) {
	ts := newTestServer(t, withConfig(func(c *config.Config) { c.APIRateLimit = 1 }))
	ts.signInAdmin()
	saveRedox(t, ts, "/tokens", "Lab Feed")
	key := createClient(t, ts, "/clients", "Feeder")
	other := createClient(t, ts, "/clients", "Other")
	limited := createClient(t, ts, "/clients", "Limited")

	type ask struct{ path, key string }
	for _, a := range []ask{
		{"/api/v1/tokens/Lab%20Feed", key},
		{"/api/v1/tokens/lab%20feed", other},
		{"/api/v1/tokens/Lab%20Feed", ""},
		{"/api/v1/tokens/Lab%20Feed", "tdk_madeup"},
		{"/api/v1/tokens/Nothing%20%3Cb%3E", key},
		{"/api/v1/tokens/Lab%20Feed", limited},
		{"/api/v1/tokens/Lab%20Feed", limited}, // over the limit: 429
	} {
		answer := func(via http.Handler) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodGet, a.path, nil)
			req.Header.Set("X-Request-Id", "same-id")
			if a.key != "" {
				req.Header.Set("Authorization", "Bearer "+a.key)
			}
			w := httptest.NewRecorder()
			via.ServeHTTP(w, req)
			return w
		}
		// The limiter lets two fetches through at once with a limit of 1:
		// each path gets its own turn at the same state.
		slow := answer(ts.srv.echo)
		fast := answer(ts.srv)
		if _, ok := fetchName(httptest.NewRequest(http.MethodGet, a.path, nil)); !ok {
			t.Fatalf("%s does not take the fast path", a.path)
		}
		if fast.Code != slow.Code || fast.Body.String() != slow.Body.String() {
			t.Fatalf("%s key %q: fast %d %s, Echo %d %s", a.path, a.key, fast.Code, fast.Body, slow.Code, slow.Body)
		}
		for k := range http.Header(mergeKeys(fast.Header(), slow.Header())) {
			if f, e := strings.Join(fast.Header()[k], "|"), strings.Join(slow.Header()[k], "|"); f != e {
				t.Fatalf("%s key %q: header %s fast %q, Echo %q", a.path, a.key, k, f, e)
			}
		}
	}
}

func mergeKeys(a, b http.Header) map[string][]string {
	out := map[string][]string{}
	for k := range a {
		out[k] = nil
	}
	for k := range b {
		out[k] = nil
	}
	return out
}
