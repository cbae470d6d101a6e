package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/config"
	"github.com/tokendesk/tokendesk/internal/engine"
	"github.com/tokendesk/tokendesk/internal/store"
)

// refusalRows reads the Refused fetches table: reason|client|token → count.
func refusalRows(t *testing.T, p page) map[string]string {
	t.Helper()
	wantStatus(t, p, http.StatusOK)
	out := map[string]string{}
	p.Doc.Find("[data-testid=refusal-row]").Each(func(_ int, r *goquery.Selection) {
		cell := func(id string) string { return strings.TrimSpace(r.Find("[data-testid=" + id + "]").Text()) }
		out[cell("refusal-reason")+"|"+cell("refusal-client")+"|"+cell("refusal-token")+"|"+cell("refusal-address")] = cell("refusal-count")
	})
	return out
}

// Every refused fetch is on the Refused fetches tab: which client (or what
// the console shows of an unknown key), the token asked for, why, from
// where; identical ones within a minute counted in one row. Never a key.
func TestRefusedFetchesAreListed(t *testing.T) {
	w := newAppWorld(t)
	ctx := context.Background()
	saveRedox(t, w.testServer, "/tokens", "Shared Feed")
	perms := "/tokens/" + itoa(tokenIDIn(t, w.testServer, "/tokens", "Shared Feed")) + "/permissions"
	w.get(perms)
	wantRedirect(t, w.post(perms, url.Values{"access": {"chosen"}, "app": {itoa(w.beta)}}), perms)
	alphaKey := createClient(t, w.dee, "/apps/"+itoa(w.alpha)+"/clients", "Alpha job")
	oldKey := createClient(t, w.dee, "/apps/"+itoa(w.alpha)+"/clients", "Old job")
	clients, _ := w.store.ListClients(ctx, w.alpha)
	var oldID int64
	for _, c := range clients {
		if c.Name == "Old job" {
			oldID = c.ID
		}
	}
	if _, err := w.store.RevokeClient(ctx, w.alpha, oldID, adminEmail); err != nil {
		t.Fatal(err)
	}
	forged := "tdk_forgedkeyforgedkeyforgedkeyforgedkey12"
	fetches := []struct {
		key, name string
		status    int
	}{
		{"", "Shared Feed", 401},
		{forged, "Shared Feed", 401},
		{forged, "Shared Feed", 401},
		{"not-even-ours", "Shared Feed", 401},
		{oldKey, "Shared Feed", 401},
		{alphaKey, "Shared Feed", 404}, // Permission Settings: Beta only
		{alphaKey, "No Such Token", 404},
	}
	for _, f := range fetches {
		if r := apiGet(t, w.testServer, f.key, f.name); r.Status != f.status {
			t.Fatalf("fetch %q with %.8s: %d, want %d", f.name, f.key, r.Status, f.status)
		}
	}
	if err := w.srv.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	p := w.get("/audit/refusals")
	got := refusalRows(t, p)
	want := map[string]string{
		"Refused: no key sent|No valid key|Shared Feed|127.0.0.1":                                               "1",
		"Refused: unknown key|Unknown key tdk_forged…|Shared Feed|127.0.0.1":                                    "2",
		"Refused: unknown key|No valid key|Shared Feed|127.0.0.1":                                               "1",
		"Refused: revoked key|Old job (" + oldKey[:10] + "…)|Shared Feed|127.0.0.1":                             "1",
		"Refused: not permitted (Permission Settings)|Alpha job (" + alphaKey[:10] + "…)|Shared Feed|127.0.0.1": "1",
		"Refused: no such token|Alpha job (" + alphaKey[:10] + "…)|No Such Token|127.0.0.1":                     "1",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("refused fetches:\n%v\nwant\n%v", got, want)
	}
	for _, key := range []string{forged, oldKey, alphaKey, "not-even-ours"} {
		if strings.Contains(p.Body, key) {
			t.Fatalf("a key is on the page: %.12s…", key)
		}
	}

	// Filters: a client, unknown keys, a token name.
	alphaID := clientID(t, w.testServer, "Alpha job")
	if got := refusalRows(t, w.get("/audit/refusals?client="+itoa(alphaID))); len(got) != 2 {
		t.Fatalf("Alpha job's refusals: %v", got)
	}
	if got := refusalRows(t, w.get("/audit/refusals?client=unknown")); len(got) != 3 {
		t.Fatalf("unknown keys' refusals: %v", got)
	}
	if got := refusalRows(t, w.get("/audit/refusals?token=no+such+token")); len(got) != 1 {
		t.Fatalf("refusals asking for No Such Token: %v", got)
	}
	bad := w.get("/audit/refusals?client=98765")
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	if bad.text("[data-testid=error-client]") == "" {
		t.Fatal("no field error for an unknown client")
	}

	// The export has them too, and no key either.
	csvPage := w.get("/audit/refusals/export?client=unknown")
	wantStatus(t, csvPage, http.StatusOK)
	if !strings.HasPrefix(csvPage.Header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("Content-Disposition %q", csvPage.Header.Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(strings.NewReader(csvPage.Body)).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][2] != "Reason" {
		t.Fatalf("CSV: %q %v", rows, err)
	}
	if strings.Contains(csvPage.Body, forged) {
		t.Fatal("a key is in the export")
	}
}

// A flood of different refusals within a minute lists the first ones one
// by one and counts the rest together: the log grows boundedly.
func TestAFloodOfBadKeysIsBounded(t *testing.T) {
	ts := newTestServer(t)
	for i := range engine.MaxRefusalsPerMinute + 50 {
		apiGet(t, ts, fmt.Sprintf("tdk_flood%06d", i), "Feed "+itoa(int64(i)))
	}
	if err := ts.srv.FlushUsage(t.Context()); err != nil {
		t.Fatal(err)
	}
	var rows, total, together int64
	page, _, err := ts.store.Refusals(t.Context(), storeReadFilter(), 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range page {
		rows++
		total += r.Count
		if r.Address == "" {
			together = r.Count
		}
	}
	if rows != engine.MaxRefusalsPerMinute+1 || total != engine.MaxRefusalsPerMinute+50 || together != 50 {
		t.Fatalf("%d rows, %d refusals, %d counted together", rows, total, together)
	}
	ts.signInAdmin()
	shown := map[string]string{}
	for path := "/audit/refusals"; path != ""; {
		p := ts.get(path)
		for k, v := range refusalRows(t, p) {
			shown[k] = v
		}
		path, _ = p.Doc.Find("[data-testid=older]").Attr("href")
	}
	if len(shown) != engine.MaxRefusalsPerMinute+1 || shown["Refused: unknown key|Various|Various|Various (too many to list)"] != "50" {
		t.Fatalf("%d rows over the pages; the rest counted together: %q", len(shown), shown["Refused: unknown key|Various|Various|Various (too many to list)"])
	}
}

// The API fetches tab: served fetches per client, token and minute, with
// their counts; filtered by client and token; exported.
func TestAPIFetchesPerMinute(t *testing.T) {
	ts := newTestServer(t, withConfig(func(c *config.Config) { c.APIRateLimit = 100 }))
	ts.signInAdmin()
	saveRedox(t, ts, "/tokens", "Lab Feed")
	saveRedox(t, ts, "/tokens", "Other Feed")
	a := createClient(t, ts, "/clients", "Nightly")
	b := createClient(t, ts, "/clients", "Hourly")
	for range 3 {
		apiGet(t, ts, a, "Lab Feed")
	}
	apiGet(t, ts, b, "Other Feed")
	ts.clock.Advance(time.Minute)
	apiGet(t, ts, a, "Lab Feed")
	if err := ts.srv.FlushUsage(t.Context()); err != nil {
		t.Fatal(err)
	}
	rows := func(path string) []string {
		p := ts.get(path)
		wantStatus(t, p, http.StatusOK)
		var out []string
		p.Doc.Find("[data-testid=read-row]").Each(func(_ int, r *goquery.Selection) {
			cell := func(id string) string { return strings.TrimSpace(r.Find("[data-testid=" + id + "]").Text()) }
			out = append(out, strings.SplitN(cell("read-client"), " ", 2)[0]+" "+cell("read-token")+" "+cell("read-outcome")+" ×"+cell("read-count"))
		})
		return out
	}
	if got := fmt.Sprint(rows("/audit/reads")); got != "[Nightly Lab Feed Served ×1 Hourly Other Feed Served ×1 Nightly Lab Feed Served ×3]" {
		t.Fatalf("fetches: %s", got)
	}
	if got := fmt.Sprint(rows("/audit/reads?client=" + itoa(clientID(t, ts, "Hourly")))); got != "[Hourly Other Feed Served ×1]" {
		t.Fatalf("Hourly's fetches: %s", got)
	}
	if got := fmt.Sprint(rows("/audit/reads?token=lab+feed")); got != "[Nightly Lab Feed Served ×1 Nightly Lab Feed Served ×3]" {
		t.Fatalf("Lab Feed's fetches: %s", got)
	}
	p := ts.get("/audit/reads/export?token=lab+feed")
	recs, err := csv.NewReader(strings.NewReader(p.Body)).ReadAll()
	if err != nil || len(recs) != 3 || recs[2][4] != "3" || recs[1][2] != "Lab Feed" {
		t.Fatalf("export: %q %v", recs, err)
	}
}

func clientID(t *testing.T, ts *testServer, name string) int64 {
	t.Helper()
	all, err := ts.store.AllClients(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if c.Name == name {
			return c.ID
		}
	}
	t.Fatalf("no client %s", name)
	return 0
}

func storeReadFilter() store.ReadFilter { return store.ReadFilter{} }
