package web

import (
	"fmt"
	"net/http"
	"net/url"
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

// Fetches counted for an app that is deleted before they are written are
// not credited to the next app, which SQLite may give the same id.
func TestADeletedAppsFetchesAreNotCreditedToItsSuccessor(t *testing.T) {
	w := newAppWorld(t)
	w.get("/settings")
	wantRedirect(t, w.post("/settings", url.Values{"allow_delete": {"on"}}), "/settings")
	global := saveRedox(t, w.testServer, "/tokens", "Shared")
	old := w.createApp("Old")
	key := createClient(t, w.testServer, "/apps/"+itoa(old)+"/clients", "Old job")
	if r := apiGet(t, w.testServer, key, "Shared"); r.Status != http.StatusOK {
		t.Fatalf("fetch: %d", r.Status)
	}
	w.get("/apps/" + itoa(old) + "/delete")
	wantRedirect(t, w.post("/apps/"+itoa(old)+"/delete", nil), "/apps")
	successor := w.createApp("New")
	if successor != old {
		t.Logf("the new app got id %d, not the deleted app's %d", successor, old)
	}
	if err := w.srv.FlushUsage(t.Context()); err != nil {
		t.Fatal(err)
	}
	assoc, err := w.store.TokenAssociations(t.Context(), global)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range assoc {
		if a.AppID == successor {
			t.Fatalf("“%s” is credited with the deleted app's fetch: %+v", a.AppName, assoc)
		}
	}
}
