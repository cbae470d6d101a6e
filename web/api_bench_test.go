package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tokendesk/tokendesk/internal/config"
)

// BenchmarkFetchHandler is the runtime API's own cost per fetch, through
// the router and every middleware but without the network: the figure to
// profile (-cpuprofile). The speed goal against a bare handler, over the
// network and as separate processes, is BenchmarkAPIAgainstBare in
// cmd/tokendesk (make bench-api).
func BenchmarkFetchHandler(b *testing.B) {
	ts, req := fetchBench(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w := httptest.NewRecorder()
		ts.srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkFetchHandlerParallel is BenchmarkFetchHandler from every core at
// once: what is shared between fetches (locks, counters) shows here.
func BenchmarkFetchHandlerParallel(b *testing.B) {
	ts, req := fetchBench(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req := req.Clone(req.Context()) // a request each goroutine
		for pb.Next() {
			w := httptest.NewRecorder()
			ts.srv.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Error(w.Code)
				return
			}
		}
	})
}

// fetchBench is a console with one Redox token and an API client key that
// may fetch it, logging at info as served, and the request that fetches it.
func fetchBench(b *testing.B) (*testServer, *http.Request) {
	ts := newTestServer(b, withConfig(func(c *config.Config) { c.APIRateLimit = 1e9 }))
	ts.signInAdmin()
	saveRedox(b, ts, "/tokens", "Bench Token")
	key := createClient(b, ts, "/clients", "Bench")
	ts.srv.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	req := httptest.NewRequest(http.MethodGet, "/api/v1/tokens/Bench%20Token", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	return ts, req
}
