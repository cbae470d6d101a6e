package web

import (
	"context"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"

	"github.com/tokendesk/tokendesk/internal/config"
	"github.com/tokendesk/tokendesk/internal/provider/redox"
	"github.com/tokendesk/tokendesk/internal/provider/redox/redoxtest"
	"github.com/tokendesk/tokendesk/internal/renewal"
)

func redoxTokenCalls(ts *testServer) int {
	return ts.redox.Calls("/auth/authenticate") + ts.redox.Calls("/auth/refreshToken")
}

func expiresAt(t *testing.T, a apiAnswer) time.Time {
	t.Helper()
	s, _ := a.Token["expires_at"].(string)
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("expires_at %q", s)
	}
	return at
}

// Issue 10 item 2: a simulated day of 300-second tokens under a virtual
// clock. With the worker running, and with no worker at all (renewal not
// keeping up), no consumer ever receives an expired token, and Redox is
// asked about once per token lifetime, not more.
func TestShortLivedTokensOverASimulatedDay(t *testing.T) {
	for _, withWorker := range []bool{true, false} {
		name := "worker renewing"
		if !withWorker {
			name = "consumers only"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel() // the suite's longest test: its two halves share nothing
			ts := newTestServer(t, withConfig(func(c *config.Config) { c.APIRateLimit = 1e9 }))
			ts.redox.SetTTL(300 * time.Second)
			ts.signInAdmin()
			saveRedox(t, ts, "/tokens", "Lab Feed")
			key := createClient(t, ts, "/clients", "Feeder")
			worker := ts.srv.Renewer.(*renewal.Worker)
			start, before := ts.clock.Now(), redoxTokenCalls(ts)
			const day, step = 24 * time.Hour, 40 * time.Second
			for ts.clock.Now().Sub(start) < day {
				ts.clock.Advance(step)
				if withWorker {
					if _, err := worker.RunOnce(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
				a := apiGet(t, ts, key, "Lab Feed")
				if a.Status != http.StatusOK {
					t.Fatalf("at %v: %d %s", ts.clock.Now(), a.Status, a.Error.Message)
				}
				if exp := expiresAt(t, a); !ts.clock.Now().Before(exp) {
					t.Fatalf("at %v a consumer got a token that expired at %v", ts.clock.Now(), exp)
				} else if ts.redox.KeyOf(a.Token["access_token"].(string)) == "" {
					t.Fatal("a token Redox never issued")
				}
			}
			lifetimes := float64(day / (300 * time.Second))
			if calls := redoxTokenCalls(ts) - before; float64(calls) > 1.2*lifetimes || float64(calls) < 0.9*lifetimes {
				t.Fatalf("%d token requests in a day of 300-second tokens (%.0f lifetimes)", calls, lifetimes)
			}
		})
	}
}

// Many consumers asking at once for a token that expired get one fresh
// token from one provider call.
func TestExpiredTokenIsRenewedOnceForManyConsumers(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	saveRedox(t, ts, "/tokens", "Lab Feed")
	key := createClient(t, ts, "/clients", "Feeder")
	ts.clock.Advance(25 * time.Hour) // Redox's 24-hour token has expired; no worker ran
	ts.redox.SetLatency(100 * time.Millisecond)
	before := redoxTokenCalls(ts)
	var wg sync.WaitGroup
	answers := make([]apiAnswer, 64)
	for i := range answers {
		wg.Add(1)
		go func() { defer wg.Done(); answers[i] = apiGet(t, ts, key, "Lab Feed") }()
	}
	wg.Wait()
	first := answers[0].Token["access_token"]
	for _, a := range answers {
		if a.Status != http.StatusOK || a.Token["access_token"] != first || !ts.clock.Now().Before(expiresAt(t, a)) {
			t.Fatalf("%d %v %v (first %v) %s", a.Status, a.Token["expires_at"], a.Token["access_token"], first, a.Error.Message)
		}
	}
	if n := redoxTokenCalls(ts) - before; n != 1 {
		t.Fatalf("%d provider calls for 64 consumers of one expired token", n)
	}
}

// When the fresh token cannot be obtained, the consumer hears why and when
// to come back, and never gets the expired one.
func TestExpiredTokenThatCannotBeRenewed(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	saveRedox(t, ts, "/tokens", "Lab Feed")
	key := createClient(t, ts, "/clients", "Feeder")
	ts.clock.Advance(25 * time.Hour)
	ts.redox.SetFault(redoxtest.Throttle)
	a := apiGet(t, ts, key, "Lab Feed")
	if a.Status != http.StatusServiceUnavailable || a.Header.Get("Retry-After") != "30" || a.Error.Code != "renewal_failed" ||
		!strings.HasPrefix(a.Error.Message, "“Lab Feed” needs a new access token and obtaining one failed: Redox is limiting requests; try again in 30 s.") {
		t.Fatalf("%d Retry-After %q %s %q", a.Status, a.Header.Get("Retry-After"), a.Error.Code, a.Error.Message)
	}
}

func auditOf(t *testing.T, ts *testServer, action string) []store.Audit {
	t.Helper()
	entries, _, err := ts.store.ListAudit(context.Background(), 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Audit
	for _, e := range entries {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// Finding 2: consumers polling a token whose renewal fails do not make a
// provider call each. After one failure the provider is not asked again
// before the token's retry time (backoff, or the provider's Retry-After);
// every consumer meanwhile gets 503 with Retry-After; and the audit log
// names the API client whose fetch caused the renewal.
func TestOnDemandRenewalHonoursBackoffAndRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		name      string
		breakIt   func(ts *testServer)
		fetches   int
		wait      time.Duration
		wantError string
	}{
		{"key refused", func(ts *testServer) { ts.redox.Revoke(redoxKey) }, 30, 30 * time.Second, "Redox rejected the API Key and Secret"},
		{"429 Retry-After 600", func(ts *testServer) { ts.redox.SetFault(redoxtest.Throttle); ts.redox.SetRetryAfter(600) }, 20, 600 * time.Second,
			"Redox is limiting requests; try again in 10 min."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, withConfig(func(c *config.Config) { c.APIRateLimit = 1e9 }))
			ts.signInAdmin()
			saveRedox(t, ts, "/tokens", "Lab Feed")
			key := createClient(t, ts, "/clients", "Feeder")
			ts.clock.Advance(25 * time.Hour) // expired; no worker ran
			tt.breakIt(ts)
			before := redoxTokenCalls(ts)
			var calls int
			for i := range tt.fetches {
				a := apiGet(t, ts, key, "Lab Feed")
				if i == 0 {
					calls = redoxTokenCalls(ts) - before
				}
				if a.Status != http.StatusServiceUnavailable || a.Error.Code != "renewal_failed" || !strings.Contains(a.Error.Message, tt.wantError) {
					t.Fatalf("fetch %d: %d %s %q", i+1, a.Status, a.Error.Code, a.Error.Message)
				}
				if got, want := a.Header.Get("Retry-After"), strconv.Itoa(int(tt.wait.Seconds())); got != want {
					t.Fatalf("fetch %d: Retry-After %q, want %q", i+1, got, want)
				}
			}
			if calls == 0 || redoxTokenCalls(ts)-before != calls {
				t.Fatalf("%d fetches made %d provider calls; the first made %d", tt.fetches, redoxTokenCalls(ts)-before, calls)
			}
			failed := auditOf(t, ts, store.ActionTokenRenewFailed)
			if len(failed) != 1 || failed[0].Actor != "API client “Feeder”" {
				t.Fatalf("audit: %+v", failed)
			}
			tok, err := ts.store.TokenByID(context.Background(), failed[0].TokenID)
			if err != nil || tok.Failures != 1 || !tok.NextRenewalAt.Equal(ts.clock.Now().Add(tt.wait)) {
				t.Fatalf("failures %d, next try in %v: %v", tok.Failures, tok.NextRenewalAt.Sub(ts.clock.Now()), err)
			}

			// At the retry time the next fetch asks the provider again.
			ts.redox.SetFault(redoxtest.NoFault)
			ts.redox.AddKey(redoxKey, redoxSecret)
			ts.clock.Advance(tt.wait - time.Second)
			if a := apiGet(t, ts, key, "Lab Feed"); a.Status != http.StatusServiceUnavailable || a.Header.Get("Retry-After") != "1" {
				t.Fatalf("a second early: %d Retry-After %q", a.Status, a.Header.Get("Retry-After"))
			}
			ts.clock.Advance(time.Second)
			if a := apiGet(t, ts, key, "Lab Feed"); a.Status != http.StatusOK {
				t.Fatalf("at the retry time: %d %q", a.Status, a.Error.Message)
			}
			if renewed := auditOf(t, ts, store.ActionTokenRenew); len(renewed) == 0 || renewed[0].Actor != "API client “Feeder”" {
				t.Fatalf("audit: %+v", renewed)
			}
		})
	}
}

// renewerFunc stands in for the worker's Renew now, to make what happens
// to a token during a fetch certain.
type renewerFunc func(ctx context.Context, id int64) error

func (f renewerFunc) RenewNow(ctx context.Context, id int64) error { return f(ctx, id) }
func (renewerFunc) Wake()                                          {}

// Finding 12: what goes wrong during an on-demand renewal that is not the
// provider's doing is a JSON answer an API client can act on, never a 500.
func TestOnDemandRenewalInterrupted(t *testing.T) {
	for _, tt := range []struct {
		name       string
		renew      func(ts *testServer, worker *renewal.Worker) renewerFunc
		status     int
		code       string
		retryAfter string
	}{
		{"token deleted meanwhile", func(ts *testServer, w *renewal.Worker) renewerFunc {
			return func(ctx context.Context, id int64) error {
				if _, err := ts.store.DeleteTokens(ctx, 0, []int64{id}, adminEmail); err != nil {
					return err
				}
				return w.RenewNow(ctx, id)
			}
		}, http.StatusNotFound, "not_found", ""},
		{"lease lost to another process", func(*testServer, *renewal.Worker) renewerFunc {
			return func(context.Context, int64) error { return store.ErrLeaseLost }
		}, http.StatusServiceUnavailable, "busy", "2"},
		{"edited again and again", func(*testServer, *renewal.Worker) renewerFunc {
			return func(context.Context, int64) error { return store.ErrStale }
		}, http.StatusServiceUnavailable, "busy", "2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t)
			ts.signInAdmin()
			saveRedox(t, ts, "/tokens", "Lab Feed")
			key := createClient(t, ts, "/clients", "Feeder")
			ts.clock.Advance(25 * time.Hour)
			ts.srv.Renewer = tt.renew(ts, ts.srv.Renewer.(*renewal.Worker))
			a := apiGet(t, ts, key, "Lab Feed")
			if a.Status != tt.status || a.Error.Code != tt.code || a.Header.Get("Retry-After") != tt.retryAfter || a.Error.Message == "" {
				t.Fatalf("%d %s Retry-After %q %q", a.Status, a.Error.Code, a.Header.Get("Retry-After"), a.Error.Message)
			}
		})
	}
}

// BenchmarkShortLivedFetch: 1,000 tokens of 300 seconds fetched by 64
// concurrent consumers; every token starts without an access token, so
// each is obtained on demand, once.
func BenchmarkShortLivedFetch(b *testing.B) {
	ts := newTestServer(b, withConfig(func(c *config.Config) { c.APIRateLimit = 1e9 }))
	ts.redox.SetTTL(300 * time.Second)
	ts.signInAdmin()
	const tokens = 1000
	names := make([]string, tokens)
	for i := range names {
		names[i] = "Feed " + itoa(int64(i))
		if _, err := ts.store.CreateToken(context.Background(), token.Change{
			Provider: redox.ID, Name: names[i], Rate: "15m", Encrypted: true, Renewable: true,
			Set: map[string]string{redox.KeyEnvironment: "development", redox.KeyAPIKey: redoxKey, redox.KeySecret: redoxSecret},
		}, adminEmail); err != nil {
			b.Fatal(err)
		}
	}
	key := createClient(b, ts, "/clients", "Bench")
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var mu sync.Mutex
	next := 0
	// 64 consumers: RunParallel starts parallelism × GOMAXPROCS goroutines.
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			name := names[next%tokens]
			next++
			mu.Unlock()
			req, _ := http.NewRequest(http.MethodGet, ts.http.URL+"/api/v1/tokens/"+url.PathEscape(name), nil)
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(redoxTokenCalls(ts))/float64(min(next, tokens)), "provider-calls/token")
}
