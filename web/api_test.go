package web

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/tokendesk/tokendesk/internal/config"
)

// Every fetch is in the read audit, counted per minute, client, token and
// outcome: served, refused for a bad key, not found, rate-limited.
func TestReadAuditCountsEveryFetch(t *testing.T) {
	ts := newTestServer(t, withConfig(func(c *config.Config) { c.APIRateLimit = 2 })) // bursts of 4
	ts.signInAdmin()
	id := saveRedox(t, ts, "/tokens", "Audited")
	key := createClient(t, ts, "/clients", "Reader")
	for range 3 {
		if r := apiGet(t, ts, key, "Audited"); r.Status != http.StatusOK {
			t.Fatalf("fetch: %d", r.Status)
		}
	}
	apiGet(t, ts, key, "Nothing Here")
	apiGet(t, ts, "tdk_forged", "Audited")
	if r := apiGet(t, ts, key, "Audited"); r.Status != http.StatusTooManyRequests {
		t.Fatalf("fifth fetch of the burst: %d", r.Status)
	}
	if err := ts.srv.FlushUsage(t.Context()); err != nil {
		t.Fatal(err)
	}

	reads, err := ts.store.TokenReads(t.Context(), id, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(reads) != 1 || reads[0].Outcome != "ok" || reads[0].Count != 3 || reads[0].ClientID == 0 {
		t.Fatalf("reads of the token: %+v", reads)
	}
	others, err := ts.store.TokenReads(t.Context(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range others {
		got = append(got, fmt.Sprintf("%s×%d", r.Outcome, r.Count))
	}
	slices.Sort(got)
	if want := []string{"not_found×1", "rate_limited×1", "unauthorized×1"}; !slices.Equal(got, want) {
		t.Fatalf("refused fetches %v, want %v", got, want)
	}
}
