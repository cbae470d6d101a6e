package web

import (
	"context"
	"github.com/tokendesk/tokendesk/internal/token"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"testing"
	"time"

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

// When the fresh token cannot be obtained, the consumer hears why, and
// never gets the expired one.
func TestExpiredTokenThatCannotBeRenewed(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	saveRedox(t, ts, "/tokens", "Lab Feed")
	key := createClient(t, ts, "/clients", "Feeder")
	ts.clock.Advance(25 * time.Hour)
	ts.redox.SetFault(redoxtest.Throttle)
	a := apiGet(t, ts, key, "Lab Feed")
	if a.Status != http.StatusConflict || a.Error.Message != "“Lab Feed” needed a new access token and obtaining one failed: Redox is limiting requests; try again in 30 s." {
		t.Fatalf("%d %q", a.Status, a.Error.Message)
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
