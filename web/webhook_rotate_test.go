package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// While private addresses are off, an endpoint on this machine or a
// private network is refused as it is saved, beside the URL field, naming
// the setting on the same page: saved, it would only collect refusals.
func TestPrivateEndpointsAreRefusedAtSaveWhileTheSettingIsOff(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	for _, u := range []string{"http://127.0.0.1:8080/hook", "http://localhost:9000/x", "https://api.localhost/x", "http://[::1]/x",
		"http://10.0.0.7/hook", "http://169.254.169.254/latest", "http://192.168.1.20:8443/"} {
		page := ts.get("/settings/webhooks")
		p := ts.post("/settings/webhooks", url.Values{"url": {u}, "event": {store.EventTokenChanged}})
		wantStatus(t, p, http.StatusUnprocessableEntity)
		msg := p.text("[data-testid=error-url]")
		if !strings.Contains(msg, "“Allow endpoints on private and loopback addresses”") || !strings.Contains(msg, "below") {
			t.Fatalf("%s: error %q", u, msg)
		}
		// The setting named is on this page, with that label.
		if label := strings.Join(strings.Fields(page.text("label[for=allow_private]")), " "); label != "Allow endpoints on private and loopback addresses" {
			t.Fatalf("the page's setting reads %q", label)
		}
		if v, _ := p.Doc.Find("#webhook-url").Attr("value"); v != u {
			t.Fatalf("input not kept: %q", v)
		}
	}
	if hooks, _ := ts.store.Webhooks(t.Context()); len(hooks) != 0 {
		t.Fatalf("%d private endpoints saved", len(hooks))
	}
	// Public addresses and names are saved as before; an edit to a
	// loopback address is refused the same way.
	id, _ := addWebhook(t, ts, "https://93.184.215.14/hook", store.EventTokenChanged)
	ts.get(webhookURL(id))
	p := ts.post(webhookURL(id), url.Values{"url": {"http://127.0.0.1/hook"}, "event": {store.EventTokenChanged}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if !strings.Contains(p.text("[data-testid=error-url]"), "private addresses are off") {
		t.Fatalf("edit error %q", p.text("[data-testid=error-url]"))
	}
	// With the setting on, they are endpoints like any other.
	allowPrivate(t, ts)
	addWebhook(t, ts, "http://127.0.0.1:8080/hook", store.EventTokenChanged)
}

// A test event is tried once: its answer is shown, and it is never sent
// again later (a receiver fixed an hour on would get an unasked test).
func TestATestEventIsTriedOnceAndNeverRetried(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	allowPrivate(t, ts)
	r := newReceiver(t, ts)
	r.answer = func(n int, w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) }
	id, secret := addWebhook(t, ts, r.srv.URL, store.EventTokenChanged)
	r.setSecret(secret)

	ts.get(webhookURL(id))
	wantRedirect(t, ts.post(webhookURL(id)+"/test", nil), webhookURL(id))
	p := ts.get(webhookURL(id))
	if got := p.text("[data-testid=flash]"); !strings.Contains(got, "503 Service Unavailable") || !strings.Contains(got, "never retried") {
		t.Fatalf("flash %q", got)
	}
	if got := p.text("[data-testid=delivery-state]"); !strings.Contains(got, "Failed") || p.Doc.Find("[data-testid=delivery-next]").Length() != 0 {
		t.Fatalf("state %q, next %q", got, p.text("[data-testid=delivery-next]"))
	}
	for range 30 {
		ts.clock.Advance(time.Hour)
		ts.deliver()
	}
	if n := len(r.received()); n != 1 {
		t.Fatalf("the test event was sent %d times", n)
	}
}

// signatures is a receiver that keeps each delivery's signature header.
type signatures struct {
	mu   sync.Mutex
	srv  *httptest.Server
	got  []http.Header
	body []string
}

func newSignatures(t *testing.T) *signatures {
	s := &signatures{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got, s.body = append(s.got, r.Header.Clone()), append(s.body, string(b))
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *signatures) last() (http.Header, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[len(s.got)-1], []byte(s.body[len(s.body)-1])
}

// verifies reports whether a receiver holding only secret accepts the delivery.
func verifies(t *testing.T, secret string, h http.Header, body []byte) bool {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	return wh.VerifyIgnoringTimestamp(body, h) == nil
}

// Rotate secret asks first (a plain link to a page with the button: no
// JavaScript needed), and the old secret keeps signing for a day beside
// the new one, so a receiver that has not switched yet loses nothing.
func TestRotateSecretConfirmsAndSignsWithBothForADay(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	allowPrivate(t, ts)
	r := newSignatures(t)
	id, oldSecret := addWebhook(t, ts, r.srv.URL, store.EventTokenChanged)

	// The button is a link to a confirmation; following it changes nothing.
	href, _ := ts.get(webhookURL(id)).Doc.Find("[data-testid=rotate-secret]").Attr("href")
	confirm := ts.get(href)
	wantStatus(t, confirm, http.StatusOK)
	until := ts.clock.Now().Add(24 * time.Hour)
	if got := confirm.text("[data-testid=rotate-confirm]"); !strings.Contains(got, views.When(until)) {
		t.Fatalf("the confirmation does not say until when the old secret signs: %q", got)
	}
	if action, _ := confirm.Doc.Find("[data-testid=rotate-confirm] form").Attr("action"); action != webhookURL(id)+"/secret" ||
		confirm.Doc.Find("[data-testid=rotate-confirm] form input[name=_csrf]").Length() != 1 {
		t.Fatalf("the confirmation posts to %q", action)
	}
	wantRedirect(t, ts.post(webhookURL(id)+"/test", nil), webhookURL(id))
	h, body := r.last()
	if strings.Count(h.Get("webhook-signature"), "v1,") != 1 || !verifies(t, oldSecret, h, body) {
		t.Fatalf("before rotating: signature %q", h.Get("webhook-signature"))
	}
	// No CSRF token, no rotation.
	wantStatus(t, ts.postRaw(webhookURL(id)+"/secret", url.Values{}), http.StatusForbidden)

	ts.get(href)
	wantRedirect(t, ts.post(webhookURL(id)+"/secret", nil), webhookURL(id))
	p := ts.get(webhookURL(id))
	newSecret := p.text("[data-testid=secret]")
	if !strings.HasPrefix(newSecret, "whsec_") || newSecret == oldSecret {
		t.Fatalf("new secret %q", newSecret)
	}
	if got := p.text("[data-testid=previous-secret]"); !strings.Contains(got, views.When(until)) {
		t.Fatalf("the page does not say until when the old secret is sent: %q", got)
	}
	if !strings.Contains(p.text("[data-testid=flash]"), views.When(until)) {
		t.Fatalf("flash %q", p.text("[data-testid=flash]"))
	}
	assertNotInDatabase(t, ts, oldSecret)

	// During the day: two signatures, space-separated; a receiver with
	// either secret accepts the delivery.
	ts.clock.Advance(23 * time.Hour)
	ts.signInAdmin()
	ts.get(webhookURL(id))
	wantRedirect(t, ts.post(webhookURL(id)+"/test", nil), webhookURL(id))
	h, body = r.last()
	sigs := strings.Split(h.Get("webhook-signature"), " ")
	if len(sigs) != 2 || !strings.HasPrefix(sigs[0], "v1,") || !strings.HasPrefix(sigs[1], "v1,") {
		t.Fatalf("signature header %q", h.Get("webhook-signature"))
	}
	if !verifies(t, oldSecret, h, body) || !verifies(t, newSecret, h, body) {
		t.Fatal("a receiver with the old or the new secret refuses the delivery")
	}

	// After the day: the new secret only, and the page no longer mentions the old one.
	ts.clock.Advance(time.Hour + time.Second)
	ts.signInAdmin()
	p = ts.get(webhookURL(id))
	if p.Doc.Find("[data-testid=previous-secret]").Length() != 0 {
		t.Fatal("the page still says the old secret is sent")
	}
	wantRedirect(t, ts.post(webhookURL(id)+"/test", nil), webhookURL(id))
	h, body = r.last()
	if strings.Count(h.Get("webhook-signature"), "v1,") != 1 || verifies(t, oldSecret, h, body) || !verifies(t, newSecret, h, body) {
		t.Fatalf("after a day: signature %q", h.Get("webhook-signature"))
	}
}
