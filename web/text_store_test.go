package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/store"
)

// A NUL byte or invalid UTF-8 in what anyone may send (a sign-in's email,
// a runtime API token name, a list filter) finds nothing, on PostgreSQL as
// on SQLite: PostgreSQL refused such text with an error (a 500), and one
// anonymous GET /api/v1/tokens/poison%00 kept the refused-fetch log from
// being written for good. Run on PostgreSQL with
// TOKENDESK_TEST_WEB_DATABASE=postgres scripts/postgres-test go test -run … ./web/.
func TestNULAndInvalidUTF8FindNothing(t *testing.T) {
	ts := newTestServer(t)
	anon := newTestServerClient(ts)
	for _, email := range []string{"ada\x00@example.com", "\xff\xfe@example.com", adminEmail + "\x00"} {
		anon.get("/login")
		p := anon.post("/login", url.Values{"email": {email}, "password": {adminPassword}})
		wantStatus(t, p, http.StatusUnprocessableEntity)
	}

	ts.signInAdmin()
	key := createClient(t, ts, "/clients", "Nightly")
	for _, name := range []string{"poison\x00", "\xff\xfe", "Lab\x00Feed"} {
		if a := apiGet(t, ts, key, name); a.Status != http.StatusNotFound {
			t.Errorf("fetch %q: %d %+v", name, a.Status, a.Error)
		}
		if a := apiGet(t, ts, "", name); a.Status != http.StatusUnauthorized {
			t.Errorf("anonymous fetch %q: %d", name, a.Status)
		}
		if a := apiGet(t, ts, store.KeyPrefix+"forged\xff\xfe", name); a.Status != http.StatusUnauthorized {
			t.Errorf("forged key fetch %q: %d", name, a.Status)
		}
	}
	for _, path := range []string{
		"/tokens?q=%00", "/tokens?q=%FF%FE", "/tokens?type=%00", "/tokens?status=%FF", "/tokens?q=a%00b&sort=changed",
		"/audit?who=%00", "/audit?token=%FF%00", "/audit?action=%00", "/audit?app=%00",
		"/audit/reads?token=%00", "/audit/reads?token=%FF", "/audit/refusals?token=%00", "/audit/refusals?token=%FF",
		"/users?after=%00", "/users?before=%FF", "/sessions?user=%00", "/apps?q=%00",
	} {
		if p := ts.get(path); p.StatusCode >= 500 {
			t.Errorf("%s: %d", path, p.StatusCode)
		}
	}

	// The refused fetches were written, and the log keeps being written.
	if err := ts.srv.FlushUsage(t.Context()); err != nil {
		t.Fatalf("flush: %v", err)
	}
	apiGet(t, ts, "", "after the poison")
	if err := ts.srv.FlushUsage(t.Context()); err != nil {
		t.Fatalf("second flush: %v", err)
	}
	rows, _, err := ts.store.Refusals(t.Context(), store.ReadFilter{}, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	var poison, after bool
	for _, r := range rows {
		poison = poison || strings.HasPrefix(r.TokenName, "poison")
		after = after || r.TokenName == "after the poison"
	}
	if !poison || !after {
		t.Fatalf("refused-fetch log: poison %v, later refusal %v", poison, after)
	}
}

// A refused fetch (or a read-audit row) that the database refuses to store
// is dropped with one log line that names no value; the rest of its batch,
// and later flushes, are written. It used to be retried with its batch for
// ever, so that nothing was logged again.
func TestUnwritableRowsAreDroppedNotRetriedForEver(t *testing.T) {
	sqliteFileOnly(t)
	ts := newTestServer(t)
	ts.signInAdmin()
	key := createClient(t, ts, "/clients", "Nightly")
	// Rows the database refuses whatever is tried: triggers stand in for
	// text PostgreSQL cannot hold.
	db, err := sql.Open("sqlite", "file:"+ts.dbURL+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TRIGGER poison_refusal BEFORE INSERT ON api_refusals WHEN NEW.token_name = 'poison'
		 BEGIN SELECT RAISE(ABORT, 'refused: poison'); END`,
		`CREATE TRIGGER poison_read BEFORE INSERT ON api_reads WHEN NEW.outcome = 'unauthorized'
		 BEGIN SELECT RAISE(ABORT, 'refused: unauthorized'); END`,
	} {
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}

	apiGet(t, ts, "", "poison")
	apiGet(t, ts, "", "other")
	if a := apiGet(t, ts, key, "nothing here"); a.Status != http.StatusNotFound {
		t.Fatalf("fetch: %d", a.Status)
	}
	if err := ts.srv.FlushUsage(t.Context()); err != nil {
		t.Fatalf("flush: %v", err)
	}
	logs := ts.logs.String()
	if n := strings.Count(logs, "dropped refused fetches"); n != 1 {
		t.Fatalf("%d log lines about dropped refusals:\n%s", n, logs)
	}
	if n := strings.Count(logs, "dropped API usage rows"); n != 1 {
		t.Fatalf("%d log lines about dropped usage:\n%s", n, logs)
	}
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "dropped") && (strings.Contains(l, "poison") || strings.Contains(l, key[:len(store.KeyPrefix)+4])) {
			t.Fatalf("the log line names a value: %s", l)
		}
	}
	names := func() map[string]bool {
		rows, _, err := ts.store.Refusals(t.Context(), store.ReadFilter{}, 100, nil)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]bool{}
		for _, r := range rows {
			m[r.TokenName] = true
		}
		return m
	}
	if got := names(); got["poison"] || !got["other"] || !got["nothing here"] {
		t.Fatalf("refused-fetch log: %v", got)
	}
	reads, _, err := ts.store.Reads(t.Context(), store.ReadFilter{}, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(reads) != 1 || reads[0].Outcome == "unauthorized" {
		t.Fatalf("read audit: %+v", reads)
	}

	// The next flush writes what came since, and does not try again.
	apiGet(t, ts, "", "later")
	if err := ts.srv.FlushUsage(t.Context()); err != nil {
		t.Fatalf("second flush: %v", err)
	}
	if !names()["later"] {
		t.Fatal("a later refusal was not written")
	}
	if n := strings.Count(ts.logs.String(), "dropped refused fetches"); n != 1 {
		t.Fatalf("the dropped row was tried again: %d log lines", n)
	}
}
