package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/secret"
	"github.com/tokendesk/tokendesk/internal/store/dbtemplate"
	"github.com/tokendesk/tokendesk/internal/store/pgtest"
	"github.com/tokendesk/tokendesk/internal/token"
)

// testDB holds the database a test runs on when onBoth chose PostgreSQL.
var testDB sync.Map // testing.TB → "postgres"

// onBoth runs a contract test on SQLite and on PostgreSQL, as subtests; the
// PostgreSQL one skips, saying why, when no server is configured. Such a
// test runs beside the others: each has databases of its own (a test that
// needs the process to itself does not use onBoth).
func onBoth(t *testing.T, test func(t *testing.T)) {
	t.Helper()
	t.Parallel()
	t.Run("sqlite", test)
	t.Run("postgres", func(t *testing.T) {
		if !pgtest.Available() {
			t.Skip(pgtest.SkipReason)
		}
		testDB.Store(t, "postgres")
		t.Cleanup(func() { testDB.Delete(t) })
		test(t)
	})
}

// testURL is a fresh database for the test: a SQLite file in a temporary
// directory or, under onBoth's PostgreSQL run, a new PostgreSQL database.
func testURL(t testing.TB) string {
	if _, pg := testDB.Load(t); pg {
		// A copy of a database migrated once (Open still runs the
		// migrations: none is left to apply).
		return pgtest.Clone(t, "schema_"+PostgresSchema(), MigratePostgres)
	}
	return filepath.Join(t.TempDir(), "tokendesk.db")
}

// openTest opens a store on a fresh database (see testURL).
func openTest(t testing.TB) *Store {
	t.Helper()
	box, err := secret.NewBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	url := testURL(t)
	if !IsPostgresURL(url) {
		migratedCopy(t, url)
	}
	s, err := Open(context.Background(), url, box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// migratedCopy writes to path a copy of a SQLite database that Open made
// and migrated under the zero test master key, once per test binary
// (dbtemplate: every migration a test was most of its time under -race).
func migratedCopy(t testing.TB, path string) {
	t.Helper()
	dbtemplate.SQLite(t, "store zero key", path, func(path string) error {
		box, err := secret.NewBox(make([]byte, 32))
		if err != nil {
			return err
		}
		s, err := Open(context.Background(), path, box)
		if err != nil {
			return err
		}
		return s.Close()
	})
}

// plan is SQLite's query plan for query, one step a line.
func plan(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.read.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	return strings.Join(steps, "; ")
}

// The queries that run on every worker loop and every /metrics scrape read
// indexes, never every token.
func TestHotQueriesUseTheirIndexes(t *testing.T) {
	s := openTest(t)
	for name, q := range map[string]string{
		"next due":          "SELECT min(next_renewal_at) FROM tokens WHERE next_renewal_at IS NOT NULL",
		"failing":           "SELECT count(*) FROM tokens INDEXED BY tokens_scope_failing WHERE failures > 0 AND renewal_rate != 'disabled'",
		"expired or soon":   "SELECT count(*) FROM tokens INDEXED BY tokens_expires WHERE expires_at > 1 AND expires_at < 2",
		"needs reconnect":   "SELECT count(*) FROM tokens INDEXED BY tokens_reconnect WHERE (needs_reconnect = 1 OR refresh_expires_at IS NOT NULL) AND (needs_reconnect = 1 OR refresh_expires_at <= 1)",
		"reconnect soon":    "SELECT count(*) FROM tokens INDEXED BY tokens_reconnect WHERE provider NOT IN ('zoom') AND (needs_reconnect = 1 OR refresh_expires_at IS NOT NULL) AND refresh_expires_at > 1 AND refresh_expires_at <= 2",
		"retired, Disabled": "SELECT count(*) FROM scope_token_counts c CROSS JOIN tokens INDEXED BY tokens_scope_provider WHERE ifnull(app_id, 0) = +c.scope AND provider = 'zoom' AND renewal_rate = 'disabled'",
	} {
		// Scanning a partial index reads only the rows it holds.
		if p := plan(t, s, q); !strings.Contains(p, "INDEX") || strings.Contains(p+"; ", "SCAN tokens; ") {
			t.Errorf("%s: %s", name, p)
		}
	}
}

// CountByStatus reads maintained totals and indexes; it must still agree
// with token.Status, token by token, through creates, renewals, failures,
// rate changes and deletes.
func TestCountByStatusAgreesWithStatus(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s := openTest(t)
		now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { return now }

		type want struct {
			rate    string
			expires time.Duration // from now; 0: none
			fail    bool
			next    time.Duration // next renewal from now; 0: as scheduled
		}
		cases := []want{
			{token.Disabled, 0, false, 0}, {token.Disabled, -time.Hour, false, 0}, {token.Disabled, time.Minute, false, 0},
			{"every_hour", 0, false, 0}, {"every_hour", 2 * time.Hour, false, 0}, {"every_hour", 10 * time.Minute, false, 0},
			{"every_hour", -time.Minute, false, 0}, {"every_hour", time.Hour, true, 0}, {"every_hour", -time.Hour, true, 0},
			{token.Disabled, time.Hour, true, 0},
			// A 5-minute token renewed at 90 % of its life is on schedule, not "expires soon"...
			{"every_hour", 4 * time.Minute, false, 3 * time.Minute},
			// ...unless that renewal is late.
			{"every_hour", 4 * time.Minute, false, -time.Minute},
		}
		var ids []int64
		for i, c := range cases {
			tok, err := s.CreateToken(ctx, token.Change{Provider: "redox", Name: fmt.Sprintf("T%d", i), Encrypted: true, Rate: c.rate, Renewable: true,
				Set: map[string]string{"api_key": "k", "secret": "s"}}, "test")
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tok.ID)
			if c.expires != 0 {
				if _, err := s.write.Exec("UPDATE tokens SET expires_at = ? WHERE id = ?", ms(now.Add(c.expires)), tok.ID); err != nil {
					t.Fatal(err)
				}
			}
			if c.next != 0 {
				if _, err := s.write.Exec("UPDATE tokens SET next_renewal_at = ? WHERE id = ?", ms(now.Add(c.next)), tok.ID); err != nil {
					t.Fatal(err)
				}
			}
			if c.fail {
				if _, err := s.write.Exec("UPDATE tokens SET failures = 2 WHERE id = ?", tok.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		check := func(when string) {
			t.Helper()
			expect := map[string]int{}
			for _, id := range ids {
				tok, err := s.TokenByID(ctx, id)
				if err != nil {
					continue // deleted
				}
				expect[token.Status(tok.Rate, tok.Renewal, now)]++
			}
			got, err := s.CountByStatus(ctx, now, nil)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(expect) {
				t.Fatalf("%s: counted %v, token by token %v", when, got, expect)
			}
			// Every declared status: the list's Status filter finds exactly
			// its tokens, and the list's own count (where it has one) agrees.
			for _, st := range token.Statuses {
				listed, _, err := s.ListTokens(ctx, TokenFilter{Status: st.Name, Now: now})
				if err != nil {
					t.Fatal(err)
				}
				if len(listed) != expect[st.Name] {
					t.Fatalf("%s: the filter %q lists %d, token by token %d", when, st.Name, len(listed), expect[st.Name])
				}
				if _, countable := countStatusSQL(0, st.Name, now, nil); !countable {
					continue
				}
				if n, err := s.CountStatus(ctx, 0, st.Name, now); err != nil || n != expect[st.Name] {
					t.Fatalf("%s: CountStatus(%q) = %d %v, token by token %d", when, st.Name, n, err, expect[st.Name])
				}
			}
		}
		check("created")
		if got, _ := s.CountByStatus(ctx, now, nil); got[token.StatusExpiresSoon] != 2 {
			t.Fatalf("expiring soon: %v", got)
		}
		if _, err := s.write.Exec("UPDATE tokens SET renewal_rate = 'disabled' WHERE id = ?", ids[4]); err != nil {
			t.Fatal(err)
		}
		check("a rate changed")
		if _, err := s.DeleteTokens(ctx, 0, ids[:3], "test"); err != nil {
			t.Fatal(err)
		}
		ids = ids[3:]
		check("deleted")
		now = now.Add(20 * time.Minute)
		check("later")
		// Imported without a secret it needs: "Needs secret", unless its
		// renewals are failing (or it needs reconnecting, below).
		for _, id := range ids[:len(ids)/2] {
			if _, err := s.write.Exec("UPDATE tokens SET needs_secret = 1 WHERE id = ?", id); err != nil {
				t.Fatal(err)
			}
		}
		check("needs secret")
		// A grant the service refused for good, or a refresh token that
		// ran out, is "Needs reconnect" whatever else the token's state.
		for i, id := range ids {
			var err error
			switch {
			case i%3 == 0:
				_, err = s.write.Exec("UPDATE tokens SET needs_reconnect = 1 WHERE id = ?", id)
			case i%3 == 1:
				_, err = s.write.Exec("UPDATE tokens SET refresh_expires_at = ? WHERE id = ?", ms(now.Add(-time.Minute)), id)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		check("needs reconnect")
	})
}

// Tokens of a provider its vendor retired are counted under the
// retirement, not as "Not renewed".
func TestCountByStatusCountsRetiredProviders(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s := openTest(t)
		for i, prov := range []string{"zoom", "zoom", "redox"} {
			if _, err := s.CreateToken(ctx, token.Change{Provider: prov, Name: fmt.Sprintf("T%d", i), Encrypted: true, Rate: token.Disabled,
				Set: map[string]string{"api_key": "k"}}, "test"); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.CountByStatus(ctx, time.Now(), map[string]string{"zoom": "Retired by Zoom"})
		if err != nil {
			t.Fatal(err)
		}
		if got[token.StatusRetired] != 2 || got[token.StatusNotConnected] != 1 || len(got) != 2 {
			t.Fatalf("counted %v", got)
		}
	})
}
