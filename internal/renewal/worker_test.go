package renewal

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/jobs"
	"github.com/tokendesk/tokendesk/internal/token"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/redox"
	"github.com/tokendesk/tokendesk/internal/provider/redox/redoxtest"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/secret"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/store/storetest"
)

// clock is the tests' time: it moves only when a test advances it, and
// the worker's waits end when it passes their deadline.
type clock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*waiter
	real    bool // benchmarks run on the wall clock
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func (c *clock) Now() time.Time {
	if c.real {
		return time.Now()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) After(d time.Duration) (<-chan time.Time, func()) {
	if c.real {
		return jobs.RealClock{}.After(d)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	w := &waiter{at: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		w.ch <- c.now
		return w.ch, func() {}
	}
	c.waiters = append(c.waiters, w)
	return w.ch, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.waiters = slices.DeleteFunc(c.waiters, func(o *waiter) bool { return o == w })
	}
}

// Advance moves the time on, ending the waits it passes.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waiters = slices.DeleteFunc(c.waiters, func(w *waiter) bool {
		if w.at.After(c.now) {
			return false
		}
		w.ch <- c.now
		return true
	})
}

// waiting counts the waits that end d or more from now.
func (c *clock) waiting(d time.Duration) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, w := range c.waiters {
		if !w.at.Before(c.now.Add(d)) {
			n++
		}
	}
	return n
}

// eventually waits for something the worker does in its own goroutines.
// The bound only keeps a broken worker from hanging the test run; nothing
// is measured against the wall clock.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for give := time.Now().Add(time.Minute); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(give) {
			t.Fatalf("%s never happened", what)
		}
	}
}

type fixture struct {
	t      testing.TB
	dir    string
	box    *secret.Box
	store  *store.Store
	redox  *redoxtest.Server
	env    provider.Env
	clock  *clock
	reg    *prometheus.Registry
	worker *Worker
	url    string // a PostgreSQL database; "": SQLite in dir
}

func newFixture(t testing.TB) *fixture {
	return newFixtureOn(t, &clock{now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)})
}

func newFixtureOn(t testing.TB, c *clock) *fixture { return newFixtureAt(t, c, "") }

// fixtureMasterKey is every fixture's master key, one per test binary, so
// that their SQLite databases can be copies of one migrated template
// (storetest.MigratedSQLite) rather than each running every migration.
var fixtureMasterKey = secret.GenerateKey()

// newFixtureAt is newFixtureOn on the database at url ("": SQLite in dir).
func newFixtureAt(t testing.TB, c *clock, url string) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), clock: c, url: url}
	f.box, _ = secret.NewBox(fixtureMasterKey)
	if url == "" {
		storetest.MigratedSQLite(t, fixtureMasterKey, filepath.Join(f.dir, "tokendesk.db"))
	}
	f.store = f.open()
	var base string
	f.redox, base = redoxtest.Start(t)
	f.redox.SetClock(f.clock.Now)
	f.redox.AddKey("key-1", "secret-1").AddKey("key-2", "secret-2")
	f.env = provider.Env{HTTP: &http.Client{Timeout: provider.DefaultTimeout}, URLs: map[string]string{"redox": base}, Now: f.clock.Now}
	f.reg = prometheus.NewRegistry()
	f.worker = f.newWorker(f.store, "worker-a", NewMetrics(f.reg, f.store, f.clock.Now, nil))
	return f
}

// open opens the database as another process would.
func (f *fixture) open() *store.Store {
	path := f.url
	if path == "" {
		path = filepath.Join(f.dir, "tokendesk.db")
	}
	st, err := store.Open(context.Background(), path, f.box)
	if err != nil {
		f.t.Fatal(err)
	}
	st.Now = f.clock.Now
	f.t.Cleanup(func() { st.Close() })
	return st
}

func (f *fixture) newWorker(st *store.Store, owner string, m *Metrics) *Worker {
	w := New(st, registry.ByID, f.env, slog.New(slog.NewTextHandler(io.Discard, nil)), m)
	w.Clock, w.Jitter, w.Owner, w.Spread = f.clock, func() float64 { return 0.5 }, owner, 0
	return w
}

func (f *fixture) addRedox(name, rate string) int64 {
	f.t.Helper()
	tok, err := f.store.CreateToken(context.Background(), token.Change{
		Provider: redox.ID, Name: name, Rate: rate, Encrypted: true, Renewable: true,
		Set: map[string]string{redox.KeyEnvironment: "development", redox.KeyAPIKey: "key-1", redox.KeySecret: "secret-1"},
	}, "ada@example.com")
	if err != nil {
		f.t.Fatal(err)
	}
	return tok.ID
}

func (f *fixture) runOnce() int {
	f.t.Helper()
	n, err := f.worker.RunOnce(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) token(id int64) (tok struct {
	Next, Last, Expires time.Time
	Failures            int
	LastError, Access   string
}) {
	f.t.Helper()
	t, err := f.store.TokenByID(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	v, _ := f.store.TokenValues(context.Background(), id)
	tok.Next, tok.Last, tok.Expires, tok.Failures, tok.LastError, tok.Access = t.NextRenewalAt, t.LastRenewedAt, t.ExpiresAt, t.Failures, t.LastError, v[redox.KeyAccessToken]
	return tok
}

func TestScheduleRenewAndReschedule(t *testing.T) {
	f := newFixture(t)
	t0 := f.clock.Now()
	id := f.addRedox("Lab Feed", "15m")
	if got := f.token(id); !got.Next.Equal(t0) {
		t.Fatalf("a token without an access token is due at once; next %v", got.Next)
	}
	if n := f.runOnce(); n != 1 {
		t.Fatalf("renewed %d", n)
	}
	got := f.token(id)
	if got.Access == "" || !got.Last.Equal(t0) || !got.Next.Equal(t0.Add(15*time.Minute)) || !got.Expires.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("after first renewal: %+v", got)
	}
	first := got.Access

	f.clock.Advance(14 * time.Minute)
	if n := f.runOnce(); n != 0 {
		t.Fatalf("renewed %d before due", n)
	}
	f.clock.Advance(time.Minute)
	if n := f.runOnce(); n != 1 {
		t.Fatalf("renewed %d when due", n)
	}
	got = f.token(id)
	if got.Access == first || !got.Next.Equal(f.clock.Now().Add(15*time.Minute)) {
		t.Fatalf("after second renewal: %+v", got)
	}
	// Redox refresh tokens rotate; the second renewal used the first's.
	if f.redox.Calls("/auth/refreshToken") != 1 || f.redox.Calls("/auth/authenticate") != 1 {
		t.Fatalf("authenticate %d, refresh %d", f.redox.Calls("/auth/authenticate"), f.redox.Calls("/auth/refreshToken"))
	}

	// Changing the rate reschedules at once; Disabled unschedules.
	tok, _ := f.store.TokenByID(context.Background(), id)
	spec := token.Change{Provider: redox.ID, Name: "Lab Feed", Rate: "1h", Encrypted: true, Renewable: true}
	if _, _, err := f.store.UpdateToken(context.Background(), id, tok.Version, spec, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	if got := f.token(id); !got.Next.Equal(got.Last.Add(time.Hour)) {
		t.Fatalf("after rate change: next %v, last %v", got.Next, got.Last)
	}
	spec.Rate = "disabled"
	if _, _, err := f.store.UpdateToken(context.Background(), id, tok.Version+1, spec, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	if got := f.token(id); !got.Next.IsZero() {
		t.Fatalf("Disabled still scheduled at %v", got.Next)
	}
	f.clock.Advance(48 * time.Hour)
	if n := f.runOnce(); n != 0 {
		t.Fatal("a Disabled token was renewed")
	}
}

func TestRenewsBeforeExpiry(t *testing.T) {
	f := newFixture(t)
	f.redox.SetTTL(30 * time.Minute) // shorter than the rate
	id := f.addRedox("Short Lived", "1h")
	f.runOnce()
	if got := f.token(id); !got.Next.Equal(got.Expires.Add(-5 * time.Minute)) {
		t.Fatalf("next %v, expires %v: want 5 minutes before expiry", got.Next, got.Expires)
	}
	f.clock.Advance(25 * time.Minute)
	if n := f.runOnce(); n != 1 {
		t.Fatal("not renewed before expiry")
	}
}

// Issue 9 item 11: a token living less than the 5-minute margin used to be
// due again the moment it arrived (11 token requests in 30 s).
func TestTokensLivingUnderFiveMinutesDoNotRenewInAStorm(t *testing.T) {
	for _, ttl := range []time.Duration{time.Minute, 5 * time.Minute} {
		t.Run(ttl.String(), func(t *testing.T) {
			t.Parallel() // 1,500 renewal passes each: two fixtures that share nothing
			f := newFixture(t)
			f.redox.SetTTL(ttl)
			id := f.addRedox("Short Lived", "15m")
			calls := func() int { return f.redox.Calls("/auth/authenticate") + f.redox.Calls("/auth/refreshToken") }
			for range 30 {
				f.runOnce()
				f.clock.Advance(time.Second)
			}
			if n := calls(); n != 1 {
				t.Fatalf("%d token requests in 30 s for a %s token, want 1", n, ttl)
			}
			// Over a simulated hour, looking every 5 s (a renewal falls due
			// 6 s before a 1-minute token expires): renewed before every
			// expiry, about once per lifetime.
			for range 720 {
				f.clock.Advance(5 * time.Second)
				f.runOnce()
				if got := f.token(id); !f.clock.Now().Before(got.Expires) {
					t.Fatalf("token expired at %v before it was renewed", got.Expires)
				}
			}
			perLife := float64(calls()) / (float64(time.Hour+30*time.Second) / float64(ttl))
			if perLife > 1.2 {
				t.Fatalf("%d token requests in an hour: %.2f per token lifetime", calls(), perLife)
			}
		})
	}
}

func TestBackoffAndRecovery(t *testing.T) {
	f := newFixture(t)
	id := f.addRedox("Flaky", "15m")
	f.runOnce()
	good := f.token(id).Access
	f.clock.Advance(15 * time.Minute)

	f.redox.SetFault(redoxtest.Fail500)
	wantGaps := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 15 * time.Minute, 15 * time.Minute}
	for i, gap := range wantGaps {
		if n := f.runOnce(); n != 1 {
			t.Fatalf("attempt %d: renewed %d", i+1, n)
		}
		got := f.token(id)
		if got.Failures != i+1 || !got.Next.Equal(f.clock.Now().Add(gap)) {
			t.Fatalf("after failure %d: failures %d, next in %v, want %v", i+1, got.Failures, got.Next.Sub(f.clock.Now()), gap)
		}
		if got.LastError != "Redox is failing (HTTP 500). Nothing was changed; try again later." {
			t.Fatalf("last error %q", got.LastError)
		}
		if got.Access != good {
			t.Fatal("the previous access token was not kept during failures")
		}
		f.clock.Advance(gap)
	}
	if v := testutil.ToFloat64(f.worker.metrics.renewals.WithLabelValues("redox", "failure")); v != float64(len(wantGaps)) {
		t.Fatalf("failure metric %v", v)
	}

	f.redox.SetFault(redoxtest.NoFault)
	f.runOnce()
	got := f.token(id)
	if got.Failures != 0 || got.LastError != "" || got.Access == good || !got.Next.Equal(f.clock.Now().Add(15*time.Minute)) {
		t.Fatalf("after recovery: %+v", got)
	}
	// Every outcome is in the audit log, without secret values.
	entries, _, _ := f.store.ListAudit(context.Background(), 1, 100)
	var renewed, failed int
	for _, e := range entries {
		switch e.Action {
		case store.ActionTokenRenew:
			renewed += e.Count // routine renewals share a day's entry
		case store.ActionTokenRenewFailed:
			failed++
		}
	}
	if renewed != 2 || failed != len(wantGaps) {
		t.Fatalf("audit: %d renewals, %d failures", renewed, failed)
	}
}

func TestRefusedRefreshFallsBackToTheAPIKey(t *testing.T) {
	f := newFixture(t)
	id := f.addRedox("Lab Feed", "15m")
	f.runOnce()
	// Someone else used the refresh token (Redox rotates them): refresh is refused.
	f.store.CreateToken(context.Background(), token.Change{Provider: redox.ID, Name: "Other", Rate: "disabled"}, "x")
	tok, _ := f.store.TokenByID(context.Background(), id)
	spec := token.Change{Provider: redox.ID, Name: "Lab Feed", Rate: "15m", Encrypted: true, Renewable: true,
		Set: map[string]string{redox.KeyRefresh: "00000000-0000-4000-8000-000000000000"}}
	f.store.UpdateToken(context.Background(), id, tok.Version, spec, "ada@example.com")
	f.clock.Advance(15 * time.Minute)
	f.runOnce()
	if got := f.token(id); got.Failures != 0 || !got.Last.Equal(f.clock.Now()) {
		t.Fatalf("not renewed with the API key after a refused refresh: %+v", got)
	}
	if f.redox.Calls("/auth/authenticate") != 2 {
		t.Fatalf("authenticate calls %d", f.redox.Calls("/auth/authenticate"))
	}
}

// racingTransport runs an administrator's edit while the first renewal
// call is on the wire.
type racingTransport struct {
	once sync.Once
	edit func()
}

func (r *racingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	r.once.Do(r.edit)
	return resp, err
}

func TestAdministratorsEditWinsOverARacingRenewal(t *testing.T) {
	f := newFixture(t)
	id := f.addRedox("Lab Feed", "15m")
	tok, _ := f.store.TokenByID(context.Background(), id)
	f.worker.env.HTTP = &http.Client{Transport: &racingTransport{edit: func() {
		spec := token.Change{Provider: redox.ID, Name: "Lab Feed", Description: "new credentials", Rate: "15m", Encrypted: true, Renewable: true,
			Set: map[string]string{redox.KeyAPIKey: "key-2", redox.KeySecret: "secret-2"}}
		if _, _, err := f.store.UpdateToken(context.Background(), id, tok.Version, spec, "ada@example.com"); err != nil {
			t.Error(err)
		}
	}}}
	f.runOnce()
	after, _ := f.store.TokenByID(context.Background(), id)
	values, _ := f.store.TokenValues(context.Background(), id)
	if after.Description != "new credentials" || values[redox.KeyAPIKey] != "key-2" || values[redox.KeySecret] != "secret-2" {
		t.Fatalf("the administrator's edit was lost: %q %v", after.Description, values[redox.KeyAPIKey])
	}
	if got := f.redox.KeyOf(values[redox.KeyAccessToken]); got != "key-2" {
		t.Fatalf("stored access token belongs to %q: the renewal was not redone with the new credentials", got)
	}
	if after.Version != tok.Version+1 {
		t.Fatalf("version %d: renewals must not bump it", after.Version)
	}
}

// Issue 9 item 10: a description-only edit racing a renewal used to throw
// the renewal away and ask Redox again with the same refresh token.
func TestDescriptionEditRacingARenewalKeepsItsResult(t *testing.T) {
	f := newFixture(t)
	id := f.addRedox("Lab Feed", "15m")
	f.runOnce() // first token, with a refresh token
	f.clock.Advance(15 * time.Minute)
	calls := func() int { return f.redox.Calls("/auth/authenticate") + f.redox.Calls("/auth/refreshToken") }
	before := calls()
	tok, _ := f.store.TokenByID(context.Background(), id)
	f.worker.env.HTTP = &http.Client{Transport: &racingTransport{edit: func() {
		spec := token.Change{Provider: redox.ID, Name: "Lab Feed", Description: "only the description", Rate: "15m", Encrypted: true, Renewable: true}
		if _, _, err := f.store.UpdateToken(context.Background(), id, tok.Version, spec, "ada@example.com"); err != nil {
			t.Error(err)
		}
	}}}
	f.runOnce()
	if n := calls() - before; n != 1 {
		t.Fatalf("%d calls to Redox for one renewal raced by a description edit, want 1", n)
	}
	after, _ := f.store.TokenByID(context.Background(), id)
	got := f.token(id)
	if after.Description != "only the description" || !got.Last.Equal(f.clock.Now()) || got.Failures != 0 {
		t.Fatalf("edit or renewal lost: %q, last renewed %v, failures %d", after.Description, got.Last, got.Failures)
	}
	if f.redox.KeyOf(got.Access) != "key-1" {
		t.Fatal("the renewed access token was not saved")
	}
}

func TestTwoWorkersRenewEachTokenOnce(t *testing.T) {
	f := newFixture(t)
	const n = 200
	for i := range n {
		f.addRedox(fmt.Sprintf("Token %03d", i), "1h")
	}
	other := f.open() // a second process on the same database file
	a := f.worker
	b := f.newWorker(other, "worker-b", NewMetrics(prometheus.NewRegistry(), other, f.clock.Now, nil))
	a.Batch, b.Batch = 7, 7
	var wg sync.WaitGroup
	var total atomic.Int64
	for _, w := range []*Worker{a, b} {
		wg.Add(1)
		go func(w *Worker) {
			defer wg.Done()
			k, err := w.RunOnce(context.Background())
			if err != nil {
				t.Error(err)
			}
			total.Add(int64(k))
		}(w)
	}
	wg.Wait()
	if total.Load() != n || f.redox.Calls("/auth/authenticate") != n {
		t.Fatalf("claimed %d, authenticated %d: want %d each", total.Load(), f.redox.Calls("/auth/authenticate"), n)
	}
	entries, _, _ := f.store.ListAudit(context.Background(), 1, 10*n)
	per := map[int64]int{}
	for _, e := range entries {
		if e.Action == store.ActionTokenRenew {
			per[e.TokenID]++
		}
	}
	if len(per) != n {
		t.Fatalf("%d tokens renewed, want %d", len(per), n)
	}
	for id, k := range per {
		if k != 1 {
			t.Fatalf("token %d renewed %d times", id, k)
		}
	}
}

func TestDeadWorkersLeaseExpires(t *testing.T) {
	f := newFixture(t)
	id := f.addRedox("Orphan", "1h")
	// A process claims it and dies mid-renewal.
	if c, err := f.store.ClaimDue(context.Background(), "dead-process", f.clock.Now(), DefaultLease, 10); err != nil || len(c) != 1 {
		t.Fatalf("claim: %v %v", c, err)
	}
	if n := f.runOnce(); n != 0 {
		t.Fatal("a leased token was claimed twice")
	}
	f.clock.Advance(DefaultLease)
	if n := f.runOnce(); n != 1 || f.token(id).Access == "" {
		t.Fatal("not renewed after the dead worker's lease expired")
	}
}

func TestOverdueTokensAfterARestartAreRenewedSpreadOut(t *testing.T) {
	f := newFixture(t)
	for i := range 20 {
		f.addRedox(fmt.Sprintf("Overdue %02d", i), "15m")
	}
	f.runOnce()
	f.clock.Advance(6 * time.Hour) // the server was down
	w := f.worker
	w.Spread, w.Jitter, w.Poll = 200*time.Millisecond, func() float64 { return 0.99 }, 20*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx, context.Background()); close(done) }()
	defer func() { cancel(); <-done }()

	// Each overdue token waits its share of the spread (0.99 × 200 ms).
	eventually(t, "20 overdue renewals waiting out their spread", func() bool { return f.clock.waiting(190*time.Millisecond) == 20 })
	f.clock.Advance(197 * time.Millisecond)
	if n := f.redox.Calls("/auth/refreshToken"); n != 0 {
		t.Fatalf("%d overdue renewals started before their spread had passed", n)
	}
	f.clock.Advance(time.Millisecond)
	eventually(t, "20 renewals after the spread", func() bool { return f.redox.Calls("/auth/refreshToken") == 20 })
	eventually(t, "20 renewals counted", func() bool {
		return testutil.ToFloat64(w.metrics.renewals.WithLabelValues("redox", "success")) == 40
	})
	cancel()
	<-done
	if n := f.redox.Calls("/auth/refreshToken"); n != 20 {
		t.Fatalf("%d refreshes for 20 overdue tokens", n)
	}
	if v := testutil.ToFloat64(w.metrics.renewals.WithLabelValues("redox", "success")); v != 40 {
		t.Fatalf("success metric %v", v)
	}
}

// A backlog waiting out its spread holds no renewal slot: with one slot
// and a backlog told to wait an hour, a token due now is renewed at once,
// and stopping the worker gives the waiting claims back.
func TestBacklogPacingHoldsNoSlot(t *testing.T) {
	f := newFixture(t)
	var backlog []int64
	for i := range 3 {
		backlog = append(backlog, f.addRedox(fmt.Sprintf("Overdue %d", i), "15m"))
	}
	f.runOnce()
	f.clock.Advance(6 * time.Hour) // the server was down
	onTime := f.addRedox("Due Now", "15m")
	w := f.worker
	w.Parallel, w.Spread, w.Jitter, w.Poll = 1, time.Hour, func() float64 { return 0.99 }, 20*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx, context.Background()); close(done) }()

	// The clock does not move: the token due now needs no wait at all.
	eventually(t, "the token due now renewed", func() bool { return f.token(onTime).Access != "" })
	if n := f.clock.waiting(59 * time.Minute); n != len(backlog) {
		t.Fatalf("%d backlog renewals waiting their spread, want %d", n, len(backlog))
	}
	if n := f.redox.Calls("/auth/refreshToken"); n != 0 {
		t.Fatalf("the backlog did not wait its spread: %d refreshes", n)
	}
	cancel()
	<-done
	// The waiting claims were given back: another run renews them.
	w.Spread = 0
	if n := f.runOnce(); n != len(backlog) {
		t.Fatalf("after the stop, %d of %d backlog tokens could be claimed", n, len(backlog))
	}
}

func TestShutdownAbandonsCleanly(t *testing.T) {
	f := newFixture(t)
	id := f.addRedox("Hanging", "15m")
	f.runOnce()
	before := f.token(id)
	f.clock.Advance(15 * time.Minute)
	f.redox.SetFault(redoxtest.Hang)
	w := f.worker
	w.Poll = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	drain, stopDrain := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx, drain); close(done) }()
	eventually(t, "the renewal reaching Redox", func() bool { return f.redox.Calls("/auth/refreshToken") > 0 })
	cancel()    // shutdown begins
	stopDrain() // and the grace period is over
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("worker did not stop")
	}
	after := f.token(id)
	if after.Access != before.Access || after.Failures != 0 || after.LastError != "" || !after.Next.Equal(before.Next) {
		t.Fatalf("token changed by an abandoned renewal: %+v -> %+v", before, after)
	}
	c, err := f.store.ClaimDue(context.Background(), "next-process", f.clock.Now(), DefaultLease, 10)
	if err != nil || len(c) != 1 {
		t.Fatal("the abandoned renewal's lease was not released")
	}
}

func TestStatusGauge(t *testing.T) {
	f := newFixture(t)
	f.addRedox("Healthy", "1h")
	f.addRedox("Off", "disabled")
	f.runOnce()
	f.redox.SetFault(redoxtest.Fail500)
	failing := f.addRedox("Failing", "1h")
	f.runOnce()
	if f.token(failing).Failures != 1 {
		t.Fatal("setup: no failure")
	}
	// "Off" never obtained a token (Disabled): not connected yet. Every
	// declared status has its series, zero or not.
	want := map[string]float64{"Healthy": 1, "Not connected yet": 1, "Not renewed": 0, "Renewal failing": 1, "Expired": 0, "Expires soon": 0,
		"Expired, renewals Disabled": 0, "Needs reconnect": 0, "Needs attention": 0, "Reconnect soon": 0}
	for status, n := range want {
		if got := gaugeValue(t, f.reg, status); got != n {
			t.Errorf("tokendesk_tokens{status=%q} = %v, want %v", status, got, n)
		}
	}
}

func gaugeValue(t *testing.T, reg *prometheus.Registry, status string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "tokendesk_tokens" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == status {
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no tokendesk_tokens{status=%q}", status)
	return 0
}

// Issue 10 item 4: a throttled renewal is retried no sooner than the
// provider's Retry-After, however short the backoff would be.
func TestThrottledRenewalWaitsForRetryAfter(t *testing.T) {
	f := newFixture(t)
	id := f.addRedox("Lab Feed", "15m")
	f.runOnce()
	f.clock.Advance(15 * time.Minute)
	f.redox.SetFault(redoxtest.Throttle)
	f.redox.SetRetryAfter(600)
	f.runOnce()
	got := f.token(id)
	if want := f.clock.Now().Add(10 * time.Minute); !got.Next.Equal(want) {
		t.Fatalf("next try %v, want %v (Retry-After 600 s)", got.Next, want)
	}
	if got.LastError != "Redox is limiting requests; try again in 10 min." {
		t.Fatalf("last error %q", got.LastError)
	}
	f.clock.Advance(9 * time.Minute)
	if n := f.runOnce(); n != 0 {
		t.Fatal("retried before Retry-After")
	}
}

// A Retry-After of years is bounded: the token is retried within the
// hour, and its error does not promise a wait of 277,778 hours.
func TestHugeRetryAfterIsBounded(t *testing.T) {
	for _, seconds := range []int{999999999, 2000000000} {
		f := newFixture(t)
		id := f.addRedox("Lab Feed", "15m")
		f.runOnce()
		f.clock.Advance(15 * time.Minute)
		f.redox.SetFault(redoxtest.Throttle)
		f.redox.SetRetryAfter(seconds)
		f.runOnce()
		got := f.token(id)
		if want := f.clock.Now().Add(time.Hour); !got.Next.Equal(want) {
			t.Fatalf("Retry-After %d: next try %v, want %v", seconds, got.Next, want)
		}
		if got.LastError != "Redox is limiting requests; try again in 60 min." {
			t.Fatalf("last error %q", got.LastError)
		}
	}
}
