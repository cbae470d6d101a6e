package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/store"
)

// auditActors lists the Who column of an Audit Log page.
func auditColumn(p page, col string) []string {
	var out []string
	p.Doc.Find("[data-testid=audit-row] [data-testid=" + col + "]").Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.TrimSpace(s.Text()))
	})
	return out
}

func allEqual(got []string, want string) bool {
	return len(got) > 0 && !slices.ContainsFunc(got, func(s string) bool { return s != want })
}

// Each filter of the Audit Log narrows what it shows; the form keeps what
// was typed; an app's token keeps its app in the log.
func TestAuditLogFiltersNarrowTheList(t *testing.T) {
	w := newAppWorld(t)
	ctx := context.Background()
	saveRedox(t, w.testServer, "/tokens", "Global Feed")
	saveRedox(t, w.dee, "/apps/"+itoa(w.alpha)+"/tokens", "Alpha Feed")
	saveRedox(t, w.eve, "/apps/"+itoa(w.beta)+"/tokens", "Beta Feed")
	// Older entries, on days of their own.
	for i, day := range []string{"2026-10-01", "2026-10-15", "2026-10-31"} {
		at, _ := time.Parse(dateLayout, day)
		if err := w.store.AddAudit(ctx, store.Audit{At: at.Add(time.Duration(i) * time.Hour), Actor: "bob@example.com", Action: "user.update", Subject: "day " + day}); err != nil {
			t.Fatal(err)
		}
	}

	all := w.get("/audit")
	wantStatus(t, all, http.StatusOK)
	if n := all.Doc.Find("[data-testid=audit-row]").Length(); n < 8 {
		t.Fatalf("%d entries unfiltered", n)
	}

	t.Run("who", func(t *testing.T) {
		p := w.get("/audit?who=DEE@example.com")
		if got := auditColumn(p, "audit-actor"); !allEqual(got, deeEmail) {
			t.Fatalf("who: %v", got)
		}
		if v, _ := p.Doc.Find("#filter-who").Attr("value"); v != "DEE@example.com" {
			t.Fatalf("the form forgot who: %q", v)
		}
	})
	t.Run("token", func(t *testing.T) {
		p := w.get("/audit?token=alpha+feed")
		if got := auditColumn(p, "audit-subject"); len(got) == 0 || slices.ContainsFunc(got, func(s string) bool { return !strings.HasPrefix(s, "Alpha Feed") }) {
			t.Fatalf("token: %v", got)
		}
	})
	t.Run("app", func(t *testing.T) {
		p := w.get("/audit?app=" + itoa(w.beta))
		got := auditColumn(p, "audit-scope")
		if !allEqual(got, "Redox · App Beta") {
			t.Fatalf("app: %v", got)
		}
		if sel, _ := p.Doc.Find("#filter-app option[selected]").Attr("value"); sel != itoa(w.beta) {
			t.Fatalf("the form forgot the app: %q", sel)
		}
		// The app was saved with the entries, not looked up through the
		// token: it stays once the token is gone.
		if _, err := w.store.DeleteTokens(ctx, w.beta, []int64{tokenIDIn(t, w.eve, "/apps/"+itoa(w.beta)+"/tokens", "Beta Feed")}, eveEmail); err != nil {
			t.Fatal(err)
		}
		after := auditColumn(w.get("/audit?app="+itoa(w.beta)), "audit-action")
		if !slices.Contains(after, "Removed access token") || !slices.Contains(after, "Created access token") {
			t.Fatalf("app after delete: %v", after)
		}
	})
	t.Run("action", func(t *testing.T) {
		got := auditColumn(w.get("/audit?action=token.create"), "audit-action")
		if !allEqual(got, "Created access token") || len(got) != 3 {
			t.Fatalf("action: %v", got)
		}
	})
	t.Run("days", func(t *testing.T) {
		p := w.get("/audit?from=2026-10-15&to=2026-10-31")
		got := auditColumn(p, "audit-subject")
		if !slices.Equal(got, []string{"day 2026-10-31", "day 2026-10-15"}) {
			t.Fatalf("days: %v", got)
		}
		if v, _ := p.Doc.Find("#filter-to").Attr("value"); v != "2026-10-31" {
			t.Fatalf("the form forgot the last day: %q", v)
		}
	})
	t.Run("together", func(t *testing.T) {
		got := auditColumn(w.get("/audit?who=bob@example.com&from=2026-10-02"), "audit-subject")
		if !slices.Equal(got, []string{"day 2026-10-31", "day 2026-10-15"}) {
			t.Fatalf("who and from: %v", got)
		}
	})
	t.Run("nothing matches", func(t *testing.T) {
		p := w.get("/audit?who=nobody@example.com")
		wantStatus(t, p, http.StatusOK)
		if !strings.Contains(p.text("[data-testid=empty]"), "No entry matches") {
			t.Fatalf("empty: %q", p.text("[data-testid=empty]"))
		}
	})
}

func tokenIDIn(t *testing.T, ts *testServer, base, name string) int64 {
	t.Helper()
	var id int64
	ts.get(base).Doc.Find("[data-testid=token-row]").Each(func(_ int, row *goquery.Selection) {
		if strings.TrimSpace(row.Find("[data-testid=token-name]").Text()) == name {
			v, _ := row.Find("input[name=id]").Attr("value")
			id = mustAtoi(t, v)
		}
	})
	if id == 0 {
		t.Fatalf("%s not in %s", name, base)
	}
	return id
}

// A filter that cannot filter is a field error (422), with what was typed
// kept; never a 500.
func TestAuditLogFilterErrors(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	for _, c := range []struct{ query, field, kept string }{
		{"from=yesterday", "from", "yesterday"},
		{"to=2026-13-40", "to", "2026-13-40"},
		{"from=2026-11-02&to=2026-11-01", "to", "2026-11-01"},
		{"app=999", "app", ""},
		{"action=token.explode", "action", ""},
	} {
		t.Run(c.query, func(t *testing.T) {
			for _, path := range []string{"/audit?", "/audit/export?"} {
				p := ts.get(path + c.query)
				wantStatus(t, p, http.StatusUnprocessableEntity)
				if p.text("[data-testid=error-"+c.field+"]") == "" {
					t.Fatalf("%s: no error next to %s", path, c.field)
				}
				if c.kept != "" {
					if v, _ := p.Doc.Find("#filter-" + c.field).Attr("value"); v != c.kept {
						t.Fatalf("%s: kept %q, want %q", path, v, c.kept)
					}
				}
			}
		})
	}
}

// Paging keeps the filters: the next page of a filtered list is the next
// page of that filtered list.
func TestAuditLogPagesKeepTheFilters(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	at := ts.clock.Now().Add(-time.Hour)
	for i := range 130 {
		actor := "bob@example.com"
		if i%2 == 1 {
			actor = "carol@example.com"
		}
		if err := ts.store.AddAudit(ctx, store.Audit{At: at.Add(time.Duration(i) * time.Second), Actor: actor, Action: "user.update", Subject: "n" + itoa(int64(i))}); err != nil {
			t.Fatal(err)
		}
	}
	ts.signInAdmin()
	var seen []string
	path := "/audit?who=bob%40example.com"
	for path != "" {
		p := ts.get(path)
		wantStatus(t, p, http.StatusOK)
		got := auditColumn(p, "audit-actor")
		if !allEqual(got, "bob@example.com") {
			t.Fatalf("%s: %v", path, got)
		}
		seen = append(seen, auditColumn(p, "audit-subject")...)
		path, _ = p.Doc.Find("[data-testid=older]").Attr("href")
		if path != "" && !strings.Contains(path, "who=bob%40example.com") {
			t.Fatalf("next page lost the filter: %s", path)
		}
	}
	if len(seen) != 65 {
		t.Fatalf("%d of bob's 65 entries over the pages", len(seen))
	}
}

// The export is the filtered entries as a CSV download, cells that a
// spreadsheet would run as formulas made plain text.
func TestAuditLogCSVExport(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	at := ts.clock.Now().Add(-time.Hour)
	for i, a := range []store.Audit{
		{Actor: "bob@example.com", Action: "user.update", Subject: "=HYPERLINK(\"http://evil.example\",\"x\")"},
		{Actor: "bob@example.com", Action: "user.update", Subject: "+1+1", Detail: "@SUM(A1)"},
		{Actor: "bob@example.com", Action: "user.update", Subject: "-2", Detail: "plain, with a comma"},
		{Actor: "carol@example.com", Action: "user.update", Subject: "not bob's"},
	} {
		a.At = at.Add(time.Duration(i) * time.Minute)
		if err := ts.store.AddAudit(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	ts.signInAdmin()
	link, _ := ts.get("/audit?who=bob%40example.com").Doc.Find("[data-testid=export-csv]").Attr("href")
	if link != "/audit/export?who=bob%40example.com" {
		t.Fatalf("export link %q", link)
	}
	p := ts.get(link)
	wantStatus(t, p, http.StatusOK)
	if ct := p.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cd := p.Header.Get("Content-Disposition"); cd != `attachment; filename="tokendesk-audit-2026-11-22.csv"` {
		t.Fatalf("Content-Disposition %q", cd)
	}
	rows, err := csv.NewReader(strings.NewReader(p.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0][0] != "Time (UTC)" || rows[0][1] != "Who" {
		t.Fatalf("rows: %q", rows)
	}
	about := map[string][]string{}
	for _, r := range rows[1:] {
		if r[1] != "bob@example.com" || r[3] != "user.update" {
			t.Fatalf("row %q", r)
		}
		about[r[4]] = r
	}
	for _, want := range []string{"'=HYPERLINK(\"http://evil.example\",\"x\")", "'+1+1", "'-2"} {
		if _, ok := about[want]; !ok {
			t.Fatalf("no row about %s: %q", want, rows)
		}
	}
	if about["'+1+1"][6] != "'@SUM(A1)" || about["'-2"][6] != "plain, with a comma" {
		t.Fatalf("details: %q", rows)
	}
}

// The export streams: an export larger than one page of the store holds
// every entry.
func TestAuditLogCSVExportHoldsEveryEntry(t *testing.T) {
	ts := newTestServer(t)
	at := ts.clock.Now().Add(-time.Hour)
	for i := range 1001 { // two pages of the store and one more
		if err := ts.store.AddAudit(t.Context(), store.Audit{At: at, Actor: "bob@example.com", Action: "user.update", Subject: itoa(int64(i))}); err != nil {
			t.Fatal(err)
		}
	}
	ts.signInAdmin()
	p := ts.get("/audit/export?action=user.update")
	rows, err := csv.NewReader(strings.NewReader(p.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		seen[r[4]] = true
	}
	if len(rows) != 1+1001 || len(seen) != 1001 {
		t.Fatalf("%d rows (%d different), want a header and 1001", len(rows), len(seen))
	}
}

// Settings: the retention is a number of days (400 by default), checked;
// the background job deletes what is older, and only that.
func TestAuditRetention(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.signInAdmin()
	s := ts.get("/settings")
	if v, _ := s.Doc.Find("#retention_days").Attr("value"); v != "400" {
		t.Fatalf("default retention %q", v)
	}
	for _, bad := range []string{"", "abc", "0", "-5", "36501", "1.5"} {
		p := ts.post("/settings", url.Values{"retention_days": {bad}, "allow_delete": {"on"}})
		wantStatus(t, p, http.StatusUnprocessableEntity)
		if p.text("[data-testid=error-retention_days]") == "" {
			t.Fatalf("%q: no field error", bad)
		}
		if v, _ := p.Doc.Find("#retention_days").Attr("value"); v != bad {
			t.Fatalf("%q not kept: %q", bad, v)
		}
		if v, _ := ts.store.GetSetting(ctx, settingAllowDelete); v == "true" {
			t.Fatalf("%q: the rest of the form was saved", bad)
		}
	}
	wantRedirect(t, ts.post("/settings", url.Values{"retention_days": {"30"}}), "/settings")
	if v, _ := ts.get("/settings").Doc.Find("#retention_days").Attr("value"); v != "30" {
		t.Fatalf("retention after saving 30: %q", v)
	}

	now := ts.clock.Now()
	for i := range 1100 {
		if err := ts.store.AddAudit(ctx, store.Audit{At: now.AddDate(0, 0, -31).Add(-time.Duration(i) * time.Minute), Actor: "old", Action: "user.update", Subject: "old"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ts.store.AddAudit(ctx, store.Audit{At: now.AddDate(0, 0, -29), Actor: "recent", Action: "user.update", Subject: "recent"}); err != nil {
		t.Fatal(err)
	}
	before := ts.store.Writes()
	n, err := ts.srv.PruneAudit(ctx)
	if err != nil || n != 1100 {
		t.Fatalf("pruned %d, %v; want the 1100 older than 30 days", n, err)
	}
	if txs := ts.store.Writes() - before; txs < 3 {
		t.Fatalf("%d transactions for 1100 rows: not in batches of %d", txs, retentionBatch)
	}
	p := ts.get("/audit?action=user.update")
	if got := auditColumn(p, "audit-actor"); !slices.Equal(got, []string{"recent"}) {
		t.Fatalf("left: %v", got)
	}
	// A month on, the recent one is old too.
	ts.clock.Advance(2 * 24 * time.Hour)
	if n, err := ts.srv.PruneAudit(ctx); err != nil || n != 1 {
		t.Fatalf("pruned %d, %v two days later", n, err)
	}
}
