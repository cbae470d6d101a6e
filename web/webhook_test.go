package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/tokendesk/tokendesk/internal/clocktest"
	"github.com/tokendesk/tokendesk/internal/notify"
	"github.com/tokendesk/tokendesk/internal/provider/redox/redoxtest"
	"github.com/tokendesk/tokendesk/internal/renewal"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
)

// receiver is a webhook endpoint that checks every delivery's signature
// with the Standard Webhooks library, as a real receiver would.
type receiver struct {
	t     testing.TB
	srv   *httptest.Server
	clock *clocktest.Clock
	mu    sync.Mutex
	// secret verifies signatures (set once the endpoint exists).
	secret string
	got    []delivery
	// answer, if set, decides the n-th answer (from 0); else 204.
	answer func(n int, w http.ResponseWriter)
}

type delivery struct {
	Type  string
	Body  string
	MsgID string
	Data  map[string]any
}

func newReceiver(t testing.TB, ts *testServer) *receiver {
	r := &receiver{t: t, clock: ts.clock}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		secret, n, answer := r.secret, len(r.got), r.answer
		r.mu.Unlock()
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Errorf("receiver secret: %v", err)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		// The test clock is not the wall clock, so the library's five-minute
		// window is checked against it here instead.
		if err := wh.VerifyIgnoringTimestamp(body, req.Header); err != nil {
			t.Errorf("delivery with a bad signature: %v", err)
		}
		if ts := req.Header.Get("webhook-timestamp"); ts != strconv.FormatInt(r.clock.Now().Unix(), 10) {
			t.Errorf("webhook-timestamp %s, want the time of sending %d", ts, r.clock.Now().Unix())
		}
		var ev struct {
			Type      string         `json:"type"`
			Timestamp string         `json:"timestamp"`
			Data      map[string]any `json:"data"`
		}
		if err := json.Unmarshal(body, &ev); err != nil || ev.Type == "" || ev.Timestamp == "" {
			t.Errorf("delivery body %s: %v", body, err)
		}
		r.mu.Lock()
		r.got = append(r.got, delivery{Type: ev.Type, Body: string(body), MsgID: req.Header.Get("webhook-id"), Data: ev.Data})
		r.mu.Unlock()
		if answer != nil {
			answer(n, w)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setSecret(s string) { r.mu.Lock(); r.secret = s; r.mu.Unlock() }

func (r *receiver) received() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// types lists the received events' types, in order.
func (r *receiver) types() []string {
	var out []string
	for _, d := range r.received() {
		out = append(out, d.Type)
	}
	return out
}

// allowPrivate lets endpoints on loopback (the test receivers) receive, through the page.
func allowPrivate(t testing.TB, ts *testServer) {
	t.Helper()
	ts.get("/settings/webhooks")
	wantRedirect(t, ts.post("/settings/webhooks/private", url.Values{"allow_private": {"on"}}), "/settings/webhooks")
}

// addWebhook adds an endpoint through the form and returns its id and the
// secret its page shows once.
func addWebhook(t testing.TB, ts *testServer, endpoint string, events ...string) (int64, string) {
	t.Helper()
	ts.get("/settings/webhooks")
	p := ts.post("/settings/webhooks", url.Values{"url": {endpoint}, "event": events})
	wantStatus(t, p, http.StatusSeeOther)
	loc := p.Header.Get("Location")
	id := mustAtoi(t, strings.TrimPrefix(loc, "/settings/webhooks/"))
	page := ts.get(loc)
	wantStatus(t, page, http.StatusOK)
	secret := page.text("[data-testid=secret]")
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("new endpoint's page shows secret %q", secret)
	}
	return id, secret
}

func (ts *testServer) dispatcher() *notify.Dispatcher { return ts.srv.Notifier.(*notify.Dispatcher) }

func (ts *testServer) worker() *renewal.Worker { return ts.srv.Renewer.(*renewal.Worker) }

// deliver runs the dispatcher once, as its loop would at this time.
func (ts *testServer) deliver() int {
	ts.t.Helper()
	n, err := ts.dispatcher().RunOnce(context.Background())
	if err != nil {
		ts.t.Fatal(err)
	}
	return n
}

func (ts *testServer) renewDue() {
	ts.t.Helper()
	if _, err := ts.worker().RunOnce(context.Background()); err != nil {
		ts.t.Fatal(err)
	}
}

// noSecretsIn fails if any delivered body carries a secret or a token value.
func noSecretsIn(t testing.TB, r *receiver, secrets ...string) {
	t.Helper()
	for _, d := range r.received() {
		for _, s := range secrets {
			if s != "" && strings.Contains(d.Body, s) {
				t.Fatalf("a %s delivery carries a secret or token value: %s", d.Type, d.Body)
			}
		}
	}
}

func TestWebhookEndpointsAreManagedUnderSettings(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()

	// Found by following links: Settings → Notifications.
	link, ok := ts.get("/settings").Doc.Find("[data-testid=notifications-link]").Attr("href")
	if !ok || link != "/settings/webhooks" {
		t.Fatalf("settings page links %q", link)
	}
	if ts.get(link).Doc.Find("[data-testid=empty]").Length() != 1 {
		t.Fatal("no endpoints should be listed yet")
	}

	// Bad input: a field error, the input kept, nothing saved.
	for _, tc := range []struct {
		url    string
		events []string
		field  string
	}{
		{"ftp://hooks.example.com/x", []string{store.EventRenewalFailing}, "url"},
		{"https://user:pw@hooks.example.com/x", []string{store.EventRenewalFailing}, "url"},
		{"hooks.example.com/x", []string{store.EventRenewalFailing}, "url"},
		{"", []string{store.EventRenewalFailing}, "url"},
		{"https://hooks.example.com/x", nil, "events"},
		{"https://hooks.example.com/x", []string{"token.stolen"}, "events"},
		{"https://hooks.example.com/\xff", []string{store.EventRenewalFailing}, "url"},
	} {
		p := ts.post("/settings/webhooks", url.Values{"url": {tc.url}, "event": tc.events})
		wantStatus(t, p, http.StatusUnprocessableEntity)
		if p.text("[data-testid=error-"+tc.field+"]") == "" {
			t.Fatalf("%q %v: no error next to %s", tc.url, tc.events, tc.field)
		}
		if v, _ := p.Doc.Find("#webhook-url").Attr("value"); v != strings.ToValidUTF8(tc.url, "\uFFFD") {
			t.Fatalf("input not kept: %q", v)
		}
	}
	if hooks, _ := ts.store.Webhooks(t.Context()); len(hooks) != 0 {
		t.Fatalf("a rejected form saved %d endpoints", len(hooks))
	}

	id, secret := addWebhook(t, ts, "https://hooks.example.com/tokendesk", store.EventRenewalFailing, store.EventTokenChanged)
	// Shown once: a reload does not show it, and it is sealed in the database.
	if ts.get(webhookURL(id)).Doc.Find("[data-testid=secret]").Length() != 0 {
		t.Fatal("the secret is shown again on reload")
	}
	assertNotInDatabase(t, ts, secret)
	list := ts.get("/settings/webhooks")
	if got := list.text("[data-testid=webhook-link]"); got != "https://hooks.example.com/tokendesk" {
		t.Fatalf("listed %q", got)
	}

	// Edit: URL and events; a bad edit keeps the stored endpoint.
	wantStatus(t, ts.post(webhookURL(id), url.Values{"url": {"nope"}, "event": {store.EventTokenChanged}}), http.StatusUnprocessableEntity)
	wantRedirect(t, ts.post(webhookURL(id), url.Values{"url": {"https://hooks.example.com/v2?auth=receivers-own-token"}, "event": {store.EventRenewalRecovered}}), webhookURL(id))
	h, err := ts.store.WebhookByID(t.Context(), id)
	if err != nil || h.URL != "https://hooks.example.com/v2?auth=receivers-own-token" || !slices.Equal(h.Events, []string{store.EventRenewalRecovered}) {
		t.Fatalf("after edit: %+v %v", h, err)
	}
	// The audit log names the endpoint without its query (a receiver's own token, often).
	entries, _, _ := ts.store.ListAudit(t.Context(), 1, 100)
	if !slices.ContainsFunc(entries, func(a store.Audit) bool {
		return a.Action == "webhook.update" && a.Subject == "https://hooks.example.com/v2"
	}) {
		t.Fatalf("no audit entry for the edit: %+v", entries)
	}
	for _, a := range entries {
		if strings.Contains(a.Subject+a.Detail, "receivers-own-token") {
			t.Fatalf("audit entry %+v carries the URL's query", a)
		}
	}
	page := ts.get(webhookURL(id))
	if c, _ := page.Doc.Find("input[value='" + store.EventRenewalRecovered + "']").Attr("checked"); c != "checked" && !page.Doc.Find("input[value='"+store.EventRenewalRecovered+"']").Is("[checked]") {
		t.Fatal("the chosen event is not checked on the endpoint's page")
	}

	// Rotate: a new secret, shown once.
	ts.get(webhookURL(id))
	wantRedirect(t, ts.post(webhookURL(id)+"/secret", nil), webhookURL(id))
	rotated := ts.get(webhookURL(id)).text("[data-testid=secret]")
	if !strings.HasPrefix(rotated, "whsec_") || rotated == secret {
		t.Fatalf("rotated secret %q", rotated)
	}

	// Delete, after a confirmation.
	confirm := ts.get(webhookURL(id) + "/delete")
	wantStatus(t, confirm, http.StatusOK)
	if confirm.Doc.Find("[data-testid=confirm-delete]").Length() != 1 {
		t.Fatal("no confirmation")
	}
	wantRedirect(t, ts.post(webhookURL(id)+"/delete", nil), "/settings/webhooks")
	wantStatus(t, ts.get(webhookURL(id)), http.StatusNotFound)

	// Designers may not see or change endpoints.
	ts.addUser("dee@example.com", "dee long password", store.RoleDesigner)
	dee := newTestServerClient(ts)
	dee.signIn("dee@example.com", "dee long password")
	wantStatus(t, dee.get("/settings/webhooks"), http.StatusForbidden)
	wantStatus(t, dee.post("/settings/webhooks", url.Values{"url": {"https://x.example.com"}, "event": {store.EventTokenChanged}}), http.StatusForbidden)
	if hooks, _ := ts.store.Webhooks(t.Context()); len(hooks) != 0 {
		t.Fatalf("%d endpoints after a designer's POST", len(hooks))
	}
	// No CSRF token, no endpoint.
	wantStatus(t, ts.postRaw("/settings/webhooks", url.Values{"url": {"https://x.example.com"}, "event": {store.EventTokenChanged}}), http.StatusForbidden)
}

// assertNotInDatabase fails if s is stored in the clear in the database files.
func assertNotInDatabase(t testing.TB, ts *testServer, s string) {
	t.Helper()
	for _, name := range []string{"tokendesk.db", "tokendesk.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(ts.dir, name))
		if strings.Contains(string(b), s) {
			t.Fatalf("%s holds the secret in the clear", name)
		}
	}
}

func TestSendTestEventIsSignedAndListed(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	r := newReceiver(t, ts)
	r.answer = func(n int, w http.ResponseWriter) { w.WriteHeader(http.StatusOK); io.WriteString(w, `{"ok":true}`) }

	allowPrivate(t, ts)
	id, secret := addWebhook(t, ts, r.srv.URL+"/hook", store.EventTokenChanged)
	r.setSecret(secret)

	// Loopback is refused on every connection while the setting is off
	// (here turned off after saving), and the refusal names the setting as
	// the page that holds it shows it.
	wantRedirect(t, ts.post("/settings/webhooks/private", url.Values{}), "/settings/webhooks")
	ts.get(webhookURL(id))
	wantRedirect(t, ts.post(webhookURL(id)+"/test", nil), webhookURL(id))
	p := ts.get(webhookURL(id))
	if !strings.Contains(p.text("[data-testid=flash]")+p.Body, "loopback, private or link-local") || len(r.received()) != 0 {
		t.Fatalf("a loopback endpoint was called without the setting: %d deliveries", len(r.received()))
	}
	if got := p.text("[data-testid=attempt-answer]"); !strings.Contains(got, "“Allow endpoints on private and loopback addresses” under Settings → Notifications") ||
		strings.Contains(p.Body, "Webhooks page") {
		t.Fatalf("the refusal does not name the setting where it is: %q", got)
	}

	allowPrivate(t, ts)
	ts.get(webhookURL(id))
	wantRedirect(t, ts.post(webhookURL(id)+"/test", nil), webhookURL(id))
	p = ts.get(webhookURL(id))
	if got := r.types(); !slices.Equal(got, []string{store.EventTest}) {
		t.Fatalf("receiver got %v", got)
	}
	if !strings.Contains(p.Body, "Test event delivered: the endpoint answered 200 OK") {
		t.Fatalf("no outcome shown:\n%s", excerpt(p.Body))
	}
	// The deliveries list shows both test events, newest first, with their attempts.
	events := p.Doc.Find("[data-testid=delivery]")
	if events.Length() != 2 {
		t.Fatalf("%d deliveries listed", events.Length())
	}
	newest := events.First()
	if got := strings.TrimSpace(newest.Find("[data-testid=attempt-answer]").Text()); got != "200 OK" {
		t.Fatalf("attempt answer %q", got)
	}
	if got := strings.TrimSpace(newest.Find("[data-testid=attempt-excerpt]").Text()); got != `{"ok":true}` {
		t.Fatalf("attempt excerpt %q", got)
	}
	if got := strings.TrimSpace(newest.Find("[data-testid=delivery-state]").Text()); got != "Delivered" {
		t.Fatalf("state %q", got)
	}
	refused := events.Last()
	if got := refused.Find("[data-testid=attempt-answer]").Text(); !strings.Contains(got, "loopback") {
		t.Fatalf("refused attempt shows %q", got)
	}
	if got := refused.Find("[data-testid=delivery-state]").Text(); !strings.Contains(got, "test events are tried once") {
		t.Fatalf("the refused test event shows %q", got)
	}
	noSecretsIn(t, r, secret)
}

// Deliveries that fail are retried with backoff (never sooner than the
// receiver's Retry-After) and given up a day after their event.
func TestFailedDeliveriesBackOffAndStopAfterADay(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	allowPrivate(t, ts)
	r := newReceiver(t, ts)
	r.answer = func(n int, w http.ResponseWriter) {
		if n == 3 {
			w.Header().Set("Retry-After", "7200")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, "receiver is down for maintenance")
	}
	id, secret := addWebhook(t, ts, r.srv.URL, store.EventTokenChanged)
	r.setSecret(secret)
	tokenID := createTestToken(t, ts, "Lab Feed")
	ts.get("/tokens/" + itoa(tokenID))
	form := redoxForm("Lab Feed")
	form.Set("description", "edited")
	form.Set("version", "1")
	wantRedirect(t, ts.post("/tokens/"+itoa(tokenID), form), "/tokens")

	start := ts.clock.Now()
	// Jitter is fixed at the middle: the backoff is exact.
	wantGaps := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 2 * time.Hour /* Retry-After */, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour}
	for i, gap := range wantGaps {
		if n := ts.deliver(); n != 1 {
			t.Fatalf("attempt %d: %d deliveries attempted", i+1, n)
		}
		ds, _ := ts.store.Deliveries(t.Context(), id, 10)
		if len(ds) != 1 || ds[0].Attempts != i+1 || !ds[0].NextAt.Equal(ts.clock.Now().Add(gap)) {
			t.Fatalf("after attempt %d: next in %v, want %v", i+1, ds[0].NextAt.Sub(ts.clock.Now()), gap)
		}
		// Nothing is sent before the time.
		ts.clock.Advance(gap - time.Second)
		if n := ts.deliver(); n != 0 {
			t.Fatalf("retried %v early", time.Second)
		}
		ts.clock.Advance(time.Second)
	}
	// Hourly from there until a day has passed since the event.
	for ts.clock.Now().Sub(start) < 25*time.Hour {
		ts.deliver()
		ds, _ := ts.store.Deliveries(t.Context(), id, 10)
		if ds[0].State != store.DeliveryPending {
			break
		}
		ts.clock.Advance(ds[0].NextAt.Sub(ts.clock.Now()))
	}
	ds, _ := ts.store.Deliveries(t.Context(), id, 10)
	if ds[0].State != store.DeliveryFailed || !ds[0].NextAt.IsZero() {
		t.Fatalf("after a day: %+v", ds[0])
	}
	if elapsed := ts.clock.Now().Sub(start); elapsed > 24*time.Hour {
		t.Fatalf("an attempt %v after the event", elapsed)
	}
	attempts := ds[0].Attempts
	ts.clock.Advance(48 * time.Hour)
	if n := ts.deliver(); n != 0 || len(r.received()) != attempts {
		t.Fatal("a failed delivery was tried again")
	}
	// The page lists every attempt with the answer.
	ts.signInAdmin()
	p := ts.get(webhookURL(id))
	if got := p.Doc.Find("[data-testid=attempt]").Length(); got != attempts {
		t.Fatalf("%d attempts listed, %d made", got, attempts)
	}
	if !strings.Contains(p.Doc.Find("[data-testid=attempt-answer]").First().Text(), "500 Internal Server Error") ||
		!strings.Contains(p.Doc.Find("[data-testid=attempt-excerpt]").First().Text(), "receiver is down for maintenance") {
		t.Fatalf("latest attempt shows %q", p.Doc.Find("[data-testid=attempt]").First().Text())
	}
	if !strings.Contains(p.text("[data-testid=delivery-state]"), "Failed") {
		t.Fatalf("state %q", p.text("[data-testid=delivery-state]"))
	}
	// One message id for every retry: receivers can drop duplicates.
	ids := map[string]bool{}
	for _, d := range r.received() {
		ids[d.MsgID] = true
	}
	if len(ids) != 1 {
		t.Fatalf("%d message ids for one event", len(ids))
	}
}

func TestAHangingReceiverTimesOutAndIsRetried(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	allowPrivate(t, ts)
	release := make(chan struct{})
	r := newReceiver(t, ts)
	r.answer = func(n int, w http.ResponseWriter) { <-release }
	t.Cleanup(func() { close(release) })
	id, secret := addWebhook(t, ts, r.srv.URL, store.EventTokenChanged)
	r.setSecret(secret)
	ts.dispatcher().Client = notify.NewClient(200 * time.Millisecond)

	// An event (not a test event, which is tried once) that the receiver holds.
	tokenID := createTestToken(t, ts, "Lab Feed")
	ts.get("/tokens/" + itoa(tokenID))
	form := redoxForm("Lab Feed")
	form.Set("description", "edited")
	form.Set("version", "1")
	wantRedirect(t, ts.post("/tokens/"+itoa(tokenID), form), "/tokens")
	ts.deliver()
	p := ts.get(webhookURL(id))
	if got := p.text("[data-testid=attempt-answer]"); got != "no answer in time (timed out)" {
		t.Fatalf("attempt answer %q", got)
	}
	ds, _ := ts.store.Deliveries(t.Context(), id, 1)
	if ds[0].State != store.DeliveryPending || !ds[0].NextAt.Equal(ts.clock.Now().Add(30*time.Second)) {
		t.Fatalf("after a timeout: %+v", ds[0])
	}
}

// A redirect is not followed: the signed body goes only where it was sent.
func TestRedirectsAreNotFollowed(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	allowPrivate(t, ts)
	elsewhere := newReceiver(t, ts)
	r := newReceiver(t, ts)
	r.answer = func(n int, w http.ResponseWriter) {
		w.Header().Set("Location", elsewhere.srv.URL)
		w.WriteHeader(http.StatusTemporaryRedirect)
	}
	id, secret := addWebhook(t, ts, r.srv.URL, store.EventTokenChanged)
	r.setSecret(secret)
	wantRedirect(t, ts.post(webhookURL(id)+"/test", nil), webhookURL(id))
	if len(elsewhere.received()) != 0 {
		t.Fatal("the redirect was followed")
	}
	if got := ts.get(webhookURL(id)).text("[data-testid=attempt-answer]"); !strings.Contains(got, "307 Temporary Redirect (redirects are not followed") {
		t.Fatalf("attempt answer %q", got)
	}
}

// renewal.failing once after the failures start, renewal.recovered once on
// the first success after them; token.changed for a person's edit, Renew
// now and delete; never a secret or token value in a body.
func TestEventsFireOncePerTransition(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	allowPrivate(t, ts)
	r := newReceiver(t, ts)
	_, secret := addWebhook(t, ts, r.srv.URL, store.Events...)
	r.setSecret(secret)

	id := saveRedox(t, ts, "/tokens", "Lab Feed")
	// Every access token the token held, to look for in the bodies.
	var accessTokens []string
	keep := func() {
		values, _ := ts.store.TokenValues(t.Context(), id)
		accessTokens = append(accessTokens, values["access_token"], values["refresh_token"])
	}
	keep()

	ts.redox.SetFault(redoxtest.Fail500)
	for range 6 {
		tok, _ := ts.store.TokenByID(t.Context(), id)
		ts.clock.Advance(tok.NextRenewalAt.Sub(ts.clock.Now()))
		ts.renewDue()
		ts.deliver()
	}
	if got := r.types(); !slices.Equal(got, []string{store.EventRenewalFailing}) {
		t.Fatalf("after 6 failures the receiver got %v, want one renewal.failing", got)
	}
	failing := r.received()[0].Data
	if failing["name"] != "Lab Feed" || failing["scope"] != "global" || failing["provider"] != "redox" ||
		failing["status"] != token.StatusFailing || !strings.Contains(failing["error"].(string), "Redox is failing (HTTP 500)") {
		t.Fatalf("renewal.failing data %v", failing)
	}

	ts.redox.SetFault(redoxtest.NoFault)
	tok, _ := ts.store.TokenByID(t.Context(), id)
	ts.clock.Advance(tok.NextRenewalAt.Sub(ts.clock.Now()))
	ts.renewDue()
	tok, _ = ts.store.TokenByID(t.Context(), id)
	ts.clock.Advance(tok.NextRenewalAt.Sub(ts.clock.Now()))
	keep()
	ts.renewDue() // a second success is no news
	keep()
	ts.deliver()
	if got := r.types(); !slices.Equal(got, []string{store.EventRenewalFailing, store.EventRenewalRecovered}) {
		t.Fatalf("after recovery the receiver got %v", got)
	}
	if d := r.received()[1].Data; d["status"] != token.StatusHealthy || d["error"] != nil {
		t.Fatalf("renewal.recovered data %v", d)
	}

	// A person's Renew now, edit and delete: token.changed each. (Hours
	// passed: the session ended.)
	ts.signInAdmin()
	ts.get("/tokens/" + itoa(id))
	wantRedirect(t, ts.post("/tokens/"+itoa(id)+"/renew", nil), "/tokens/"+itoa(id))
	keep()
	ts.get("/tokens/" + itoa(id))
	tok, _ = ts.store.TokenByID(t.Context(), id)
	form := redoxForm("Lab Feed")
	form.Set("description", "edited")
	form.Set("version", strconv.FormatInt(tok.Version, 10))
	wantRedirect(t, ts.post("/tokens/"+itoa(id), form), "/tokens")
	ts.get("/tokens/remove?id=" + itoa(id))
	wantRedirect(t, ts.post("/tokens/remove", url.Values{"id": {itoa(id)}}), "/tokens")
	ts.deliver()
	// Delivered in parallel: in any order.
	actions := map[string]delivery{}
	for _, d := range r.received()[2:] {
		if d.Type != store.EventTokenChanged {
			t.Fatalf("unexpected %s", d.Type)
		}
		actions[d.Data["action"].(string)] = d
		if d.Data["by"] != adminEmail {
			t.Fatalf("token.changed by %v", d.Data["by"])
		}
	}
	if len(r.received()) != 5 || len(actions) != 3 || actions["renewed"].Type == "" || actions["updated"].Type == "" || actions["deleted"].Type == "" {
		t.Fatalf("token.changed: %v", r.types())
	}
	if f, _ := actions["updated"].Data["fields"].([]any); len(f) != 1 || f[0] != "description" {
		t.Fatalf("edit names fields %v", f)
	}
	noSecretsIn(t, r, append(accessTokens, redoxSecret, secret, `"access_token":`)...)
}

// A token whose renewals keep failing for 3 days is no longer renewed
// automatically and needs attention, said once; Renew now or an edit
// starts it again.
func TestRenewalStopsAfterThreeDaysAndRestarts(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	allowPrivate(t, ts)
	r := newReceiver(t, ts)
	_, secret := addWebhook(t, ts, r.srv.URL, store.EventRenewalStopped, store.EventRenewalRecovered)
	r.setSecret(secret)
	id := saveRedox(t, ts, "/tokens", "Lab Feed")

	ts.redox.SetFault(redoxtest.Fail500)
	tok, _ := ts.store.TokenByID(t.Context(), id)
	ts.clock.Advance(tok.NextRenewalAt.Sub(ts.clock.Now()))
	firstFailure := ts.clock.Now()
	for {
		ts.renewDue()
		tok, _ = ts.store.TokenByID(t.Context(), id)
		if tok.NextRenewalAt.IsZero() {
			break
		}
		if ts.clock.Now().Sub(firstFailure) > 4*24*time.Hour {
			t.Fatal("still renewing after 4 days of failures")
		}
		ts.clock.Advance(tok.NextRenewalAt.Sub(ts.clock.Now()))
	}
	if stopped := ts.clock.Now().Sub(firstFailure); stopped < 72*time.Hour || stopped > 73*time.Hour {
		t.Fatalf("renewal stopped %v after the first failure, want 3 days (the next retry after)", stopped)
	}
	// The list and the page say so. (Days passed: the session ended.)
	ts.signInAdmin()
	if got := tokenRowStatus(t, ts, "Lab Feed"); got != token.StatusAttention {
		t.Fatalf("list status %q", got)
	}
	p := ts.get("/tokens/" + itoa(id))
	if got := p.text("[data-testid=renewal-status]"); got != "Needs attention" {
		t.Fatalf("page status %q", got)
	}
	if !strings.Contains(p.text("[data-testid=next-renewal]"), "Renew now") {
		t.Fatalf("next renewal says %q", p.text("[data-testid=next-renewal]"))
	}
	filtered := ts.get("/tokens?status=" + url.QueryEscape(token.StatusAttention))
	if filtered.Doc.Find("[data-testid=token-row]").Length() != 1 {
		t.Fatal("the Needs attention filter does not find the token")
	}
	// Nothing renews it any more, however long we wait, and consumers
	// fetching it do not restart it either.
	ts.clock.Advance(48 * time.Hour)
	ts.renewDue()
	ts.signInAdmin()
	key := createClient(t, ts, "/clients", "Job")
	calls := func() int { return ts.redox.Calls("/auth/authenticate") + ts.redox.Calls("/auth/refreshToken") }
	before := calls()
	req, _ := http.NewRequest(http.MethodGet, ts.http.URL+"/api/v1/tokens/Lab%20Feed", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK || calls() != before {
		t.Fatalf("a fetch of a stopped token got %d and made %d provider calls", resp.StatusCode, calls()-before)
	}
	ts.deliver()
	if got := r.types(); !slices.Equal(got, []string{store.EventRenewalStopped}) {
		t.Fatalf("receiver got %v, want one renewal.stopped", got)
	}
	if d := r.received()[0].Data; d["status"] != token.StatusAttention || d["failing_since"] != firstFailure.UTC().Format(time.RFC3339) {
		t.Fatalf("renewal.stopped data %v", d)
	}

	// Renew now while it still fails: it starts again (a new 3 days), with
	// retries scheduled.
	ts.signInAdmin()
	ts.get("/tokens/" + itoa(id))
	wantRedirect(t, ts.post("/tokens/"+itoa(id)+"/renew", nil), "/tokens/"+itoa(id))
	tok, _ = ts.store.TokenByID(t.Context(), id)
	if !tok.AttentionSince.IsZero() || tok.NextRenewalAt.IsZero() {
		t.Fatalf("after Renew now: attention %v, next %v", tok.AttentionSince, tok.NextRenewalAt)
	}
	if got := tokenRowStatus(t, ts, "Lab Feed"); got != token.StatusFailing {
		t.Fatalf("list status after Renew now %q", got)
	}

	// Stopped again three days on; this time an edit restarts it, and
	// the renewal it schedules at once succeeds.
	for tok.AttentionSince.IsZero() {
		ts.clock.Advance(tok.NextRenewalAt.Sub(ts.clock.Now()))
		ts.renewDue()
		tok, _ = ts.store.TokenByID(t.Context(), id)
	}
	ts.deliver()
	if got := r.types(); !slices.Equal(got, []string{store.EventRenewalStopped, store.EventRenewalStopped}) {
		t.Fatalf("receiver got %v", got)
	}
	ts.redox.SetFault(redoxtest.NoFault)
	ts.signInAdmin()
	ts.get("/tokens/" + itoa(id))
	form := redoxForm("Lab Feed")
	form.Set("version", strconv.FormatInt(tok.Version, 10))
	wantRedirect(t, ts.post("/tokens/"+itoa(id), form), "/tokens")
	tok, _ = ts.store.TokenByID(t.Context(), id)
	if !tok.AttentionSince.IsZero() || !tok.NextRenewalAt.Equal(ts.clock.Now()) {
		t.Fatalf("after an edit: attention %v, next %v", tok.AttentionSince, tok.NextRenewalAt)
	}
	ts.renewDue()
	ts.deliver()
	if got := tokenRowStatus(t, ts, "Lab Feed"); got != token.StatusHealthy {
		t.Fatalf("list status after the fix %q", got)
	}
	if got := r.types(); !slices.Equal(got, []string{store.EventRenewalStopped, store.EventRenewalStopped, store.EventRenewalRecovered}) {
		t.Fatalf("receiver got %v", got)
	}
}

func tokenRowStatus(t testing.TB, ts *testServer, name string) string {
	t.Helper()
	status := ""
	ts.get("/tokens").Doc.Find("[data-testid=token-row]").Each(func(_ int, row *goquery.Selection) {
		if strings.TrimSpace(row.Find("[data-testid=token-name]").Text()) == name {
			status = strings.TrimSpace(row.Find("[data-testid=token-status]").Text())
		}
	})
	return status
}

// token.expiring: an access token with nothing to renew it, once per
// expiry; token.needs_reconnect through the function the OAuth 2.0 work calls.
func TestExpiringAndNeedsReconnectEvents(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	allowPrivate(t, ts)
	r := newReceiver(t, ts)
	_, secret := addWebhook(t, ts, r.srv.URL, store.EventTokenExpiring, store.EventNeedsReconnect)
	r.setSecret(secret)

	// Renewal Rate Disabled: obtained once, never renewed.
	ts.get("/tokens/new/redox")
	form := redoxForm("Manual")
	form.Set("renewal_rate", token.Disabled)
	form.Set("action", "get_token")
	p := ts.post("/tokens/new/redox", form)
	pending, _ := p.Doc.Find("input[name=pending]").Attr("value")
	form.Del("action")
	form.Set("pending", pending)
	wantRedirect(t, ts.post("/tokens/new/redox", form), "/tokens")
	id := tokenIDByName(t, ts, "Manual")
	tok, _ := ts.store.TokenByID(t.Context(), id)
	if tok.ExpiresAt.IsZero() {
		t.Fatal("the emulator gave no expiry")
	}
	renewed := saveRedox(t, ts, "/tokens", "Renewed") // renewed: never "expiring"

	ts.clock.Advance(tok.ExpiresAt.Sub(ts.clock.Now()) - notify.ExpiringWithin - time.Minute)
	ts.deliver()
	if len(r.received()) != 0 {
		t.Fatalf("sent %v before the warning time", r.types())
	}
	ts.clock.Advance(2 * time.Minute)
	ts.deliver()
	ts.clock.Advance(time.Minute)
	ts.deliver()
	if got := r.types(); !slices.Equal(got, []string{store.EventTokenExpiring}) {
		t.Fatalf("receiver got %v, want one token.expiring", got)
	}
	if d := r.received()[0].Data; d["name"] != "Manual" || d["expiring"] != "access_token" || d["expires_at"] != tok.ExpiresAt.UTC().Format(time.RFC3339) {
		t.Fatalf("token.expiring data %v", d)
	}

	if err := ts.store.NotifyNeedsReconnectNow(t.Context(), renewed, ts.clock.Now()); err != nil {
		t.Fatal(err)
	}
	ts.deliver()
	if got := r.types(); len(got) != 2 || got[1] != store.EventNeedsReconnect || r.received()[1].Data["name"] != "Renewed" {
		t.Fatalf("receiver got %v", got)
	}
	values, _ := ts.store.TokenValues(t.Context(), id)
	noSecretsIn(t, r, redoxSecret, values["access_token"], secret)
}
