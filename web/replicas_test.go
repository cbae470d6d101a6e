package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/tokendesk/tokendesk/internal/config"
	"github.com/tokendesk/tokendesk/internal/store"
)

// replica starts a second server on ts's database through its own store
// handle, as a second process sharing the database would. It shares ts's
// browser (a cookie jar holds cookies per host, not per port: like a load
// balancer in front of both) and clock; it has no renewal worker.
func (ts *testServer) replica() *testServer {
	ts.t.Helper()
	st, err := store.Open(context.Background(), ts.dbURL, ts.box)
	if err != nil {
		ts.t.Fatal(err)
	}
	st.Now = ts.clock.Now
	ts.t.Cleanup(func() { st.Close() })
	d := ts.srv.Deps
	d.Store, d.Registry, d.Renewer = st, nil, nil
	srv := New(d)
	hs := httptest.NewServer(srv)
	ts.t.Cleanup(hs.Close)
	other := *ts
	other.srv, other.http, other.store, other.last = srv, hs, st, nil
	return &other
}

// A browser moves between replicas freely: signed in on A, it opens a form
// on B and saves it on A with B's CSRF token, and the reverse.
func TestASessionMovesBetweenReplicas(t *testing.T) {
	a := newTestServer(t)
	b := a.replica()
	a.signInAdmin()
	form := b.get("/tokens/new/redox")
	wantStatus(t, form, http.StatusOK)
	if form.Doc.Find(`label[for]`).Length() == 0 {
		t.Fatal("replica B did not show the form to a session made on A")
	}
	csrf, _ := form.Doc.Find(`input[name="_csrf"]`).Attr("value")
	f := redoxForm("Moved Between Replicas")
	f.Set("_csrf", csrf)
	wantRedirect(t, a.postRaw("/tokens/new/redox", f), "/tokens")
	if !strings.Contains(b.get("/tokens").Body, "Moved Between Replicas") {
		t.Fatal("the token saved on A is not listed on B")
	}
	// And back: A's page, B's save.
	a.get("/apps")
	created := b.post("/apps/new", url.Values{"name": {"Lab"}, "kind": {"process"}, "_csrf": {a.csrf()}})
	wantStatus(t, created, http.StatusSeeOther)
	if !strings.HasPrefix(created.Header.Get("Location"), "/apps/") {
		t.Fatalf("app not created on B with A's form: to %q", created.Header.Get("Location"))
	}
}

// A lock earned with wrong passwords on one replica holds on the other.
func TestSignInLockHoldsOnEveryReplica(t *testing.T) {
	a := newTestServer(t)
	b := a.replica()
	for i := range 6 {
		ts := a
		if i%2 == 1 {
			ts = b
		}
		ts.get("/login")
		wantStatus(t, ts.post("/login", url.Values{"email": {adminEmail}, "password": {"wrong password!"}}), http.StatusUnprocessableEntity)
	}
	for _, ts := range []*testServer{a, b} {
		ts.get("/login")
		p := ts.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}})
		wantStatus(t, p, http.StatusTooManyRequests)
		if p.Header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
	}
}

// Two replicas do not give a key twice the runtime API's rate: each allows
// its share once they have heard of each other.
func TestAPIRateLimitHoldsAcrossReplicas(t *testing.T) {
	a := newTestServer(t, withConfig(func(c *config.Config) { c.APIRateLimit = 4 })) // bursts of 8 for the installation
	a.signInAdmin()
	saveRedox(t, a, "/tokens", "Shared")
	key := createClient(t, a, "/clients", "Job")
	b := a.replica()
	for _, ts := range []*testServer{a, b} {
		if err := ts.srv.Heartbeat(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.srv.Heartbeat(t.Context()); err != nil { // A hears of B
		t.Fatal(err)
	}
	served := 0
	for range 20 { // the clock stands still: no refill
		for _, ts := range []*testServer{a, b} {
			if r := apiGet(t, ts, key, "Shared"); r.Status == http.StatusOK {
				served++
			} else if r.Status != http.StatusTooManyRequests {
				t.Fatalf("status %d", r.Status)
			}
		}
	}
	if served != 8 {
		t.Fatalf("two replicas served %d fetches of one key in a burst, want the installation's 8", served)
	}

	// When B leaves, A takes up the whole limit at its next heartbeat.
	if err := b.store.LeaveReplicas(t.Context(), b.srv.replicaID); err != nil {
		t.Fatal(err)
	}
	if err := a.srv.Heartbeat(t.Context()); err != nil {
		t.Fatal(err)
	}
	a.clock.Advance(2e9) // 2 s: 8 more at 4 a second
	served = 0
	for range 20 {
		if apiGet(t, a, key, "Shared").Status == http.StatusOK {
			served++
		}
	}
	if served != 8 {
		t.Fatalf("alone again, A served %d in 2 s, want 8", served)
	}
}

// Two setups racing on two replicas (each with the code its own log
// printed) create exactly one administrator; the other is told to sign in.
func TestConcurrentSetupsOnTwoReplicasCreateOneAdministrator(t *testing.T) {
	a := newTestServer(t, withoutUsers("AAAAA-AAAAA"))
	b := a.replica()
	b.srv.Setup = NewSetupCode("BBBBB-BBBBB")
	type attempt struct {
		ts         *testServer
		code, mail string
	}
	attempts := []attempt{{a, "AAAAA-AAAAA", "ada@example.com"}, {b, "BBBBB-BBBBB", "bob@example.com"}}
	for i := range attempts {
		attempts[i].ts = newTestServerClient(attempts[i].ts)
		attempts[i].ts.get("/setup")
	}
	statuses := make([]int, len(attempts))
	locations := make([]string, len(attempts))
	var wg sync.WaitGroup
	for i, at := range attempts {
		wg.Go(func() {
			form := url.Values{"code": {at.code}, "email": {at.mail}, "password": {"a long enough password"}, "_csrf": {at.ts.csrf()}}
			req, _ := http.NewRequest(http.MethodPost, at.ts.http.URL+"/setup", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := at.ts.client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
			locations[i] = resp.Header.Get("Location")
		})
	}
	wg.Wait()
	users, err := a.store.ListUsers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || users[0].Role != store.RoleAdmin {
		t.Fatalf("two setups at once made %d users (statuses %v), want one administrator", len(users), statuses)
	}
	// The loser is told to sign in: a 409 saying so, or (when it came
	// after the winner had finished) the sign-in page.
	won := 0
	for i, s := range statuses {
		switch {
		case s == http.StatusSeeOther && locations[i] == "/tokens":
			won++
		case s == http.StatusConflict, s == http.StatusSeeOther && locations[i] == "/login":
		default:
			t.Fatalf("statuses %v to %v", statuses, locations)
		}
	}
	if won != 1 {
		t.Fatalf("statuses %v to %v: want one setup done, one told to sign in", statuses, locations)
	}
}
