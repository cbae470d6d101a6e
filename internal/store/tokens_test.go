package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/secret"
	"github.com/tokendesk/tokendesk/internal/token"
)

// Names stored under the old key rule are found by the new one after the
// next start, and two rows that became one name both survive.
func TestNameKeysAreRecomputedAtStart(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		path := testURL(t)
		box, err := secret.NewBox(secret.GenerateKey())
		if err != nil {
			t.Fatal(err)
		}
		s, err := Open(ctx, path, box)
		if err != nil {
			t.Fatal(err)
		}
		// Rows as the previous version stored them: the key was only case-folded.
		for _, row := range [][2]string{{"Lab   Feed", "lab   feed"}, {"Ｚｏｏｍ", "ｚｏｏｍ"}, {"Lab Feed", "lab feed"}} {
			if _, err := s.write.ExecContext(ctx, `INSERT INTO tokens (provider, name, name_key, created_at, created_by, updated_at, updated_by)
			VALUES ('redox', ?, ?, 0, 'x', 0, 'x')`, row[0], row[1]); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.write.ExecContext(ctx, "DELETE FROM meta WHERE key = ?", nameKeyMeta); err != nil {
			t.Fatal(err)
		}
		s.Close()

		s, err = Open(ctx, path, box)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		got, err := s.ResolveToken(ctx, 0, "zoom")
		if err != nil || got.Name != "Ｚｏｏｍ" {
			t.Fatalf("look-alike not found after restart: %v %q", err, got.Name)
		}
		toks, _, err := s.ListTokens(ctx, TokenFilter{})
		if total, _ := s.ScopeTokenCount(ctx, 0); err != nil || total != 3 || len(toks) != 3 {
			t.Fatalf("rows lost: %d %d %v", len(toks), total, err)
		}
		if got, err := s.ResolveToken(ctx, 0, "LAB FEED"); err != nil || (got.Name != "Lab   Feed" && got.Name != "Lab Feed") {
			t.Fatalf("lab feed: %v %q", err, got.Name)
		}
	})
}

// Every order the token list offers, and the failing count, are served by
// an index: no full sort of a scope's tokens however many there are.
func TestListOrdersUseIndexes(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	plan := func(query string, args ...any) string { return plan(t, s, query, args...) }
	// Every page of every order, searched or not, reads its rows from an
	// index in order: no temporary B-tree, no scan of the table.
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	at := &TokenCursor{Name: "token 05000", Provider: "redox", Changed: 1, ID: 5000}
	for _, sort := range []string{SortName, SortType, SortChanged} {
		for _, desc := range []bool{false, true} {
			for _, f := range []TokenFilter{{}, {After: at}, {Before: at}, {Provider: "redox"}, {Status: token.StatusHealthy}, {Status: token.StatusNotRenewed, After: at}} {
				f.Sort, f.Desc, f.Limit, f.Now = sort, desc, 100, now
				q, args := tokenListQuery(f, false)
				p := plan(q, args...)
				if strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, "USING INDEX") {
					t.Errorf("sort %s desc=%v %+v: %s", sort, desc, f, p)
				}
			}
		}
	}
	// Retired reads its providers' range of the provider index: walking the
	// name index for them read every token to find none (sort by Status,
	// descending, starts there).
	for _, f := range []TokenFilter{{Status: token.StatusRetired, Retired: []string{"zoom"}}, {Status: token.StatusRetired, Retired: []string{"zoom"}, Desc: true, After: at}} {
		f.Now, f.Limit = now, 100
		q, args := tokenListQuery(f, true)
		if p := plan(q, args...); !strings.Contains(p, "INDEX tokens_scope_provider (<expr>=? AND provider=?") {
			t.Errorf("retired %+v: %s", f, p)
		}
	}

	// A filter that narrows to few tokens reads them from its own index
	// (and sorts only them); a list can be read either way.
	for _, f := range []TokenFilter{{Status: token.StatusFailing}, {Status: token.StatusExpired, Sort: SortType},
		{Status: token.StatusExpiresSoon, Sort: SortChanged, Desc: true, After: at}, {Query: "t0", Sort: SortChanged}, {Query: "t0", Sort: SortType, Before: at},
		{Status: token.StatusNeedsReconnect}, {Status: token.StatusNeedsReconnect, Sort: SortType, After: at},
		{Status: token.StatusReconnectSoon}, {Status: token.StatusReconnectSoon, Sort: SortChanged, Before: at},
		{Query: "feed"}, {Query: "en 05", Sort: SortChanged, Desc: true}, {Query: "lab", Sort: SortType, Before: at, Status: token.StatusHealthy}} {
		f.Now, f.Limit = now, 100
		index, _, _ := listNarrowing(f)
		q, args := tokenListQuery(f, true)
		p := plan(q, args...)
		if index == searchNarrowing {
			// The ids the trigram index finds, each read by its key.
			if !strings.Contains(p, "VIRTUAL TABLE INDEX") || !strings.Contains(p, "INTEGER PRIMARY KEY (rowid=?)") || strings.Contains(p+";", "SCAN tokens;") {
				t.Errorf("narrowed by search %+v: %s", f, p)
			}
		} else if !strings.Contains(p, "INDEX "+index) {
			t.Errorf("narrowed %+v: %s", f, p)
		}
		if _, _, err := s.ListTokens(ctx, f); err != nil {
			t.Errorf("%+v: %v", f, err)
		}
	}
	// A search of one or two characters is a range of the name index; a
	// longer one with many matches walks the order's index, never sorting.
	for _, desc := range []bool{false, true} {
		q, args := tokenListQuery(TokenFilter{Query: "To", Desc: desc, After: at, Limit: 100}, false)
		if p := plan(q, args...); !strings.Contains(p, "tokens_scope_name (<expr>=? AND name_key>? AND name_key<?)") || strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("short search desc=%v: %s", desc, p)
		}
		for _, sort := range []string{SortName, SortType, SortChanged} {
			q, args = tokenListQuery(TokenFilter{Query: "Token 05", Sort: sort, Desc: desc, After: at, Limit: 100}, false)
			if p := plan(q, args...); !strings.Contains(p, "USING INDEX "+orderIndex(sort)) || strings.Contains(p, "TEMP B-TREE") {
				t.Errorf("dense search %s desc=%v: %s", sort, desc, p)
			}
		}
	}
	if qs, _ := countStatusSQL(0, token.StatusFailing, now, nil); !strings.Contains(plan(qs[0].query, qs[0].args...), "tokens_scope_failing") {
		t.Errorf("failing count: %s", plan(qs[0].query, qs[0].args...))
	}
	// Every count the list makes on each view (the banners) reads a range
	// of an index that holds only the tokens that can be in its status:
	// never the scope's every token (issue 18 item 9).
	counted := 0
	for _, st := range token.Statuses {
		for _, retired := range [][]string{nil, {"zoom"}} {
			queries, ok := countStatusSQL(7, st.Name, now, retired)
			if !ok {
				continue
			}
			counted++
			for _, q := range queries {
				p := plan(q.query, q.args...)
				if !strings.Contains(p, "USING INDEX "+q.index+" (<expr>=?") && !strings.Contains(p, "USING COVERING INDEX "+q.index+" (<expr>=?") {
					t.Errorf("count of %q: %s", st.Name, p)
				}
			}
		}
	}
	for _, st := range append([]string{token.StatusFailing, token.StatusAttention}, token.UnusableStatuses()...) {
		if _, ok := countStatusSQL(0, st, now, nil); !ok {
			t.Errorf("the list counts %q but it has no indexed count", st)
		}
	}
	if counted == 0 {
		t.Fatal("no counts planned")
	}
}

// The audit log, the API clients and the users are each read a page at a
// time from an index in order, forward and back.
func TestOtherListsUseIndexes(t *testing.T) {
	s := openTest(t)
	plan := func(query string, args ...any) string { return plan(t, s, query, args...) }
	audit := &AuditCursor{At: 5, ID: 5}
	client := &ClientCursor{Name: "x", ID: 3}
	for name, q := range map[string]func() (string, []any){
		"audit first":   func() (string, []any) { return auditQuery(AuditQuery{Limit: 50}) },
		"audit after":   func() (string, []any) { return auditQuery(AuditQuery{Limit: 50, After: audit}) },
		"audit before":  func() (string, []any) { return auditQuery(AuditQuery{Limit: 50, Before: audit}) },
		"clients first": func() (string, []any) { return clientPageQuery(0, 100, nil, nil) },
		"clients after": func() (string, []any) { return clientPageQuery(7, 100, client, nil) },
		"clients back":  func() (string, []any) { return clientPageQuery(7, 100, nil, client) },
		"users first":   func() (string, []any) { return usersPageQuery(100, "", "") },
		"users after":   func() (string, []any) { return usersPageQuery(100, "m@x", "") },
		"users back":    func() (string, []any) { return usersPageQuery(100, "", "m@x") },
		"usable first":  func() (string, []any) { return globalTokensForQuery(3, 50, "", false) },
		"usable after":  func() (string, []any) { return globalTokensForQuery(3, 50, "token 1", false) },
		"usable back":   func() (string, []any) { return globalTokensForQuery(3, 50, "token 1", true) },
	} {
		query, args := q()
		p := plan(query, args...)
		if strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, "INDEX") {
			t.Errorf("%s: %s", name, p)
		}
	}
}

// The list's counts on PostgreSQL: each can be read from its own index
// (the planner chooses by statistics; with sequential scans priced out, a
// count that no index can serve would still scan the table).
func TestListCountsUseIndexesOnPostgres(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		if _, pg := testDB.Load(t); !pg {
			t.Skip("SQLite: TestListOrdersUseIndexes")
		}
		ctx := context.Background()
		s := openTest(t)
		conn, err := s.read.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
		for _, st := range token.Statuses {
			queries, ok := countStatusSQL(7, st.Name, now, []string{"zoom"})
			if !ok {
				continue
			}
			for _, q := range queries {
				rows, err := conn.QueryContext(ctx, "EXPLAIN "+q.query, q.args...)
				if err != nil {
					t.Fatal(err)
				}
				var plan []string
				for rows.Next() {
					var line string
					rows.Scan(&line)
					plan = append(plan, line)
				}
				rows.Close()
				// (PostgreSQL may prefer the unscoped twin of an expiry
				// index, tokens_expires: a range all the same.)
				if p := strings.Join(plan, "\n"); !strings.Contains(p, "Index") || strings.Contains(p, "Seq Scan") {
					t.Errorf("count of %q reads no index (%s):\n%s", st.Name, q.index, p)
				}
			}
		}
	})
}
