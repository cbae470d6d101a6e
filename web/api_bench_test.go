package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/config"
)

// load sends GETs to url from 64 concurrent keep-alive clients for d and
// reports requests per second and the 99th percentile latency.
func load(b *testing.B, url string, header http.Header, d time.Duration) (rps float64, p99 time.Duration) {
	const clients = 64
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				req.Header = header
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	if len(lat) == 0 {
		return 0, 0
	}
	return float64(len(lat)) / elapsed.Seconds(), lat[len(lat)*99/100]
}

// BenchmarkAPIFetch: the runtime API over loopback with 64 concurrent
// clients, next to a bare net/http handler returning the same bytes, in
// the same run and on the same cores.
func BenchmarkAPIFetch(b *testing.B) {
	ts := newTestServer(b, withConfig(func(c *config.Config) { c.APIRateLimit = 1e6 }))
	ts.signInAdmin()
	saveRedox(b, ts, "/tokens", "Bench Token")
	key := createClient(b, ts, "/clients", "Bench")
	h := http.Header{"Authorization": {"Bearer " + key}}
	url := ts.http.URL + "/api/v1/tokens/Bench%20Token"

	resp, err := http.DefaultClient.Do(&http.Request{Method: http.MethodGet, URL: mustURL(url), Header: h})
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer bare.Close()

	for range b.N {
		apiRPS, apiP99 := load(b, url, h, 5*time.Second)
		bareRPS, bareP99 := load(b, bare.URL, nil, 5*time.Second)
		b.ReportMetric(apiRPS, "api-req/s")
		b.ReportMetric(float64(apiP99.Microseconds())/1000, "api-p99-ms")
		b.ReportMetric(bareRPS, "bare-req/s")
		b.ReportMetric(float64(bareP99.Microseconds())/1000, "bare-p99-ms")
		b.ReportMetric(apiRPS/bareRPS, "api/bare")
	}
}
