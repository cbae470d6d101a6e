package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// Fetches are counted per connection (conn_shards.go), and reported as
// the fetch route's series of the request metrics and in the read audit:
// every fetch counted once, whichever connection it came on; every
// request id unique.
func TestFetchesAreCountedOnceAndNumberedUniquelyAcrossConnections(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	id := saveRedox(t, ts, "/tokens", "Counted")
	key := createClient(t, ts, "/clients", "Counter")

	ids := map[string]bool{}
	fetch := func(key string) int {
		req, _ := http.NewRequest(http.MethodGet, ts.http.URL+"/api/v1/tokens/Counted", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		// A connection each: each its own port, most their own shard.
		resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		id := resp.Header.Get("X-Request-Id")
		if ids[id] || id == "" {
			t.Fatalf("request id %q given twice (or none)", id)
		}
		ids[id] = true
		return resp.StatusCode
	}
	for range 40 {
		if code := fetch(key); code != http.StatusOK {
			t.Fatalf("fetch: %d", code)
		}
	}
	for range 3 {
		if code := fetch("tdk_forged"); code != http.StatusUnauthorized {
			t.Fatalf("a forged key's fetch: %d", code)
		}
	}
	prefixes, shards := map[string]bool{}, map[byte]bool{}
	for id := range ids {
		prefixes[id[:13]] = true
		shards[id[13]] = true
	}
	if len(prefixes) != 1 || len(shards) < 2 {
		t.Fatalf("one process: ids with prefixes %v from %d shards", prefixes, len(shards))
	}

	// The read audit too: one row, the fetches of every shard summed.
	if err := ts.srv.FlushUsage(t.Context()); err != nil {
		t.Fatal(err)
	}
	if reads, err := ts.store.TokenReads(t.Context(), id, 10); err != nil || len(reads) != 1 || reads[0].Count != 40 {
		t.Fatalf("the read audit of 40 fetches on 40 connections: %+v %v", reads, err)
	}

	m := ts.get("/metrics").Body
	for _, want := range []string{
		`tokendesk_http_requests_total{code="200",method="GET",route="/api/v1/tokens/:name"} 40`,
		`tokendesk_http_requests_total{code="401",method="GET",route="/api/v1/tokens/:name"} 3`,
		`tokendesk_http_request_duration_seconds_count{method="GET",route="/api/v1/tokens/:name"} 43`,
		`tokendesk_http_request_duration_seconds_bucket{method="GET",route="/api/v1/tokens/:name",le="+Inf"} 43`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s:\n%s", want, grepLines(m, "/api/v1/tokens/"))
		}
	}
	// The console's requests are in the same families, as before.
	if !regexp.MustCompile(`tokendesk_http_requests_total\{code="200",method="GET",route="/tokens"\} \d+`).MatchString(m) {
		t.Errorf("metrics lack the console's requests:\n%s", grepLines(m, "tokendesk_http_requests_total"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
