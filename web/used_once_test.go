package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/store"
)

// cookieNamed is the cookie an answer set under name.
func cookieNamed(t *testing.T, p page, name string) *http.Cookie {
	t.Helper()
	for _, c := range p.Cookies() {
		if c.Name == name && c.Value != "" {
			return c
		}
	}
	t.Fatalf("no %s cookie was set", name)
	return nil
}

// replay opens path again with a copy of a hand-over cookie, as someone who
// kept the cookie (a proxy's log, a shared machine) would.
func replay(ts *testServer, path string, ck *http.Cookie) page {
	req, _ := http.NewRequest(http.MethodGet, ts.http.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	return ts.do(req)
}

// The cookie that carries a new API key to its page is good once (issue
// 18.8): a copy of it replayed within its 5 minutes shows nothing, on this
// replica or another.
func TestNewClientKeyCookieCannotBeReplayed(t *testing.T) {
	ts := newTestServer(t)
	other := ts.replica()
	ts.signInAdmin()
	ts.get("/clients")
	created := ts.post("/clients", url.Values{"name": {"Nightly export"}})
	wantRedirect(t, created, "/clients/created")
	ck := cookieNamed(t, created, newKeyCookie)
	key := ts.get("/clients/created").text("[data-testid=key]")
	if !strings.HasPrefix(key, store.KeyPrefix) {
		t.Fatalf("key %q", key)
	}
	for name, srv := range map[string]*testServer{"this replica": ts, "another replica": other} {
		p := replay(srv, "/clients/created", ck)
		if strings.Contains(p.Body, key) || p.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s showed the key again from a replayed cookie (%d)", name, p.StatusCode)
		}
	}
}

// The same for a webhook endpoint's new signing secret.
func TestNewWebhookSecretCookieCannotBeReplayed(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/settings/webhooks")
	p := ts.post("/settings/webhooks", url.Values{"url": {"https://hooks.example.com/td"}, "event": {store.EventTokenChanged}})
	wantStatus(t, p, http.StatusSeeOther)
	ck := cookieNamed(t, p, newSecretCookie)
	loc := p.Header.Get("Location")
	secret := ts.get(loc).text("[data-testid=secret]")
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q", secret)
	}
	again := replay(ts, loc, ck)
	wantStatus(t, again, http.StatusOK)
	if strings.Contains(again.Body, secret) {
		t.Fatal("a replayed cookie showed the signing secret again")
	}
}
