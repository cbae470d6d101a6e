package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/token"
)

// trigramRows are what token_trigrams and token_trigram_counts should hold
// for the tokens stored, computed here from their names.
func trigramRows(t *testing.T, s *Store) (want, got []string, wantCounts, gotCounts map[string]int) {
	t.Helper()
	ctx := context.Background()
	rows, err := s.read.QueryContext(ctx, "SELECT id, ifnull(app_id, 0), name_key, provider FROM tokens")
	if err != nil {
		t.Fatal(err)
	}
	wantCounts = map[string]int{}
	for rows.Next() {
		var id, scope int64
		var key, prov string
		if err := rows.Scan(&id, &scope, &key, &prov); err != nil {
			t.Fatal(err)
		}
		for _, tri := range searchTrigrams(key) {
			want = append(want, fmt.Sprintf("%d|%s|%s|%s|%d", scope, tri, key, prov, id))
			wantCounts[fmt.Sprintf("%d|%s|%s", scope, tri, prov)]++
		}
	}
	rows.Close()
	rows, err = s.read.QueryContext(ctx, "SELECT scope, trigram, name_key, provider, id FROM token_trigrams")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, scope int64
		var tri, key, prov string
		if err := rows.Scan(&scope, &tri, &key, &prov, &id); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d|%s|%s|%s|%d", scope, tri, key, prov, id))
	}
	rows.Close()
	rows, err = s.read.QueryContext(ctx, "SELECT scope, trigram, provider, total FROM token_trigram_counts WHERE total > 0")
	if err != nil {
		t.Fatal(err)
	}
	gotCounts = map[string]int{}
	for rows.Next() {
		var scope int64
		var tri, prov string
		var n int
		if err := rows.Scan(&scope, &tri, &prov, &n); err != nil {
			t.Fatal(err)
		}
		gotCounts[fmt.Sprintf("%d|%s|%s", scope, tri, prov)] = n
	}
	rows.Close()
	slices.Sort(want)
	slices.Sort(got)
	return want, got, wantCounts, gotCounts
}

// Whoever writes a token (create, rename, a move to another scope, a change
// of type, delete, the start-up re-keying), the trigrams of its name, in
// characters, and each trigram's count per scope stay in step (migration
// 00025), on both databases.
func TestTokenTrigramsFollowEveryWrite(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s := openTest(t)
		app, err := s.CreateApp(ctx, "Trigram App", "process", nil, "test")
		if err != nil {
			t.Fatal(err)
		}
		check := func(when string) {
			t.Helper()
			want, got, wantCounts, gotCounts := trigramRows(t, s)
			if !slices.Equal(want, got) {
				t.Errorf("%s: token_trigrams\n got %q\nwant %q", when, got, want)
			}
			if fmt.Sprint(wantCounts) != fmt.Sprint(gotCounts) {
				t.Errorf("%s: token_trigram_counts\n got %v\nwant %v", when, gotCounts, wantCounts)
			}
		}
		ids := map[string]int64{}
		for _, n := range []struct {
			app  int64
			name string
		}{{0, "Lab Feed"}, {0, "Café Ünïcode ☃ feed"}, {0, "ab"}, {0, "aaaaaa"}, {app.ID, "Lab Feed"}, {app.ID, "Feed Lab Feed"}} {
			tok, err := s.CreateToken(ctx, token.Change{AppID: n.app, Provider: "redox", Name: n.name, Rate: token.Disabled}, "test")
			if err != nil {
				t.Fatal(err)
			}
			ids[fmt.Sprint(n.app, n.name)] = tok.ID
		}
		check("created")
		id := ids["0Lab Feed"]
		tok, err := s.TokenByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.UpdateToken(ctx, id, tok.Version, token.Change{Provider: "redox", Name: "Lab Feed Renamed", Rate: token.Disabled}, "test"); err != nil {
			t.Fatal(err)
		}
		check("renamed")
		if _, err := s.write.ExecContext(ctx, "UPDATE tokens SET app_id = ?, provider = 'zoom-s2s' WHERE id = ?", app.ID, ids["0aaaaaa"]); err != nil {
			t.Fatal(err)
		}
		check("moved to an app, another type")
		if _, err := s.DeleteTokens(ctx, app.ID, []int64{ids[fmt.Sprint(app.ID, "Feed Lab Feed")]}, "test"); err != nil {
			t.Fatal(err)
		}
		check("deleted")
		if _, err := s.write.ExecContext(ctx, "UPDATE tokens SET name_key = 'stale key' WHERE id = ?", ids["0ab"]); err != nil {
			t.Fatal(err)
		}
		if _, err := s.write.ExecContext(ctx, "DELETE FROM meta WHERE key = ?", nameKeyMeta); err != nil {
			t.Fatal(err)
		}
		if err := s.rekeyNames(ctx); err != nil {
			t.Fatal(err)
		}
		check("re-keyed")
	})
}

// A search matching many names, in name order, reads its page from the
// names of its rarest trigram, and lists exactly what walking the name
// index would: same rows, same order, every direction and page, a type
// chosen or not (issue 18 item 9).
func TestDenseSearchWalksItsRarestTrigram(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	for i := range 120 {
		prov := []string{"redox", "zoom-s2s", "redox-oauth"}[i%3]
		if _, err := s.CreateToken(ctx, token.Change{Provider: prov, Name: fmt.Sprintf("Token %03d", i), Rate: token.Disabled}, "test"); err != nil {
			t.Fatal(err)
		}
	}
	mid := &TokenCursor{Name: "token 055", Provider: "zoom-s2s"}
	for _, f := range []TokenFilter{
		{Query: "oken 05"}, {Query: "oken 05", Desc: true}, {Query: "oken 05", After: mid}, {Query: "oken 05", Before: mid},
		{Query: "oken 05", After: mid, Desc: true}, {Query: "OKEN 0"}, {Query: "oken 0", Provider: "zoom-s2s"},
		{Query: "oken 0", Provider: "zoom-s2s", Sort: SortType, Desc: true}, {Query: "oken 0", Provider: "zoom-s2s", Sort: SortType, After: mid},
		{Query: "ken 1", Before: &TokenCursor{Name: "token 119"}}, {Query: "zzz"}, {Query: "zzz", Sort: SortType},
		{Query: "oken 0", Sort: SortType}, {Query: "oken 0", Sort: SortType, Desc: true, After: mid}, {Query: "oken 0", Sort: SortType, Before: mid},
		{Query: "oken 0", Provider: "redox", Sort: SortType, After: mid}, {Query: "oken 0", Provider: "redox", Before: mid, Desc: true},
		{Query: "oken 0", Provider: "zoom-s2s", Sort: SortType, After: &TokenCursor{Name: "token 050", Provider: "redox"}},
	} {
		f.Limit, f.Now, f.dialect = 4, now, s.d
		nw, ok, err := s.trigramWalk(ctx, f)
		if err != nil || !ok {
			t.Fatalf("%+v: not read from the trigrams (%v)", f, err)
		}
		if f.Query == "oken 05" && nw.args[0] != " 05" {
			t.Errorf("%+v walks %q, not the rarest trigram", f, nw.args[0])
		}
		walked := listWith(t, s, f, narrowing{})
		if got := listWith(t, s, f, nw); !slices.Equal(got, walked) || len(got) == 0 && f.Query != "zzz" && f.Provider != "redox" {
			t.Errorf("%+v: from the trigrams %q, from the order's index %q", f, got, walked)
		}
		// And the page ListTokens shows is that one.
		toks, _, err := s.ListTokens(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var listed []string
		for _, tok := range toks {
			listed = append(listed, tok.Name)
		}
		if f.Before != nil {
			slices.Reverse(listed)
		}
		if w := walked[:min(len(walked), f.Limit)]; !slices.Equal(listed, w) {
			t.Errorf("%+v: ListTokens shows %q, want %q", f, listed, w)
		}
	}
	// What needs a token's row, or another order, is read as before.
	for _, f := range []TokenFilter{{Query: "oken 05", Status: token.StatusNotRenewed}, {Query: "oken 05", Sort: SortChanged}, {Query: "to"}} {
		f.dialect = s.d
		if _, ok, _ := s.trigramWalk(ctx, f); ok {
			t.Errorf("%+v is read from the trigrams", f)
		}
	}
}

// listWith is the names tokenListQueryBy reads for f from nw (one more
// than the page, in the order read).
func listWith(t *testing.T, s *Store, f TokenFilter, nw narrowing) []string {
	t.Helper()
	q, args := tokenListQueryBy(f, nw)
	rows, err := s.read.QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		tok, err := scanToken(rows)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tok.Name)
	}
	return out
}

// The trigram walk's queries read their index: the page's ids from
// token_trigrams' key in the list's order (by name, the types' runs merged;
// no sorting of what it reads), then each row by id; the counts by their
// key.
func TestTrigramQueriesUseIndexes(t *testing.T) {
	s := openTest(t)
	at := &TokenCursor{Name: "token 05000", Provider: "redox"}
	for _, tc := range []struct {
		f     TokenFilter
		types []any
		key   string // the range token_trigrams is read by
	}{
		{TokenFilter{}, []any{"redox", "zoom-s2s"}, "(scope=? AND trigram=? AND provider=?)"},
		{TokenFilter{After: at}, []any{"redox", "zoom-s2s", "redox-oauth"}, "(scope=? AND trigram=? AND provider=? AND name_key>?)"},
		{TokenFilter{Before: at, Desc: true}, []any{"redox", "zoom-s2s"}, "(scope=? AND trigram=? AND provider=? AND name_key>?)"},
		{TokenFilter{}, []any{"redox"}, "(scope=? AND trigram=? AND provider=?)"},
		{TokenFilter{After: at, Desc: true}, nil, "(scope=? AND trigram=? AND provider=? AND name_key<?)"},
		{TokenFilter{Provider: "redox"}, []any{"redox"}, "(scope=? AND trigram=? AND provider=?)"},
		{TokenFilter{Provider: "redox", Sort: SortType, After: at}, []any{"redox"}, "(scope=? AND trigram=? AND provider=? AND name_key>?)"},
		{TokenFilter{Provider: "zoom-s2s", Sort: SortType, After: at}, []any{"zoom-s2s"}, "(scope=? AND trigram=? AND provider=?)"},
		{TokenFilter{Sort: SortType}, []any{"redox", "zoom-s2s"}, "(scope=? AND trigram=?)"},
		{TokenFilter{Sort: SortType, Desc: true, After: at}, []any{"redox", "zoom-s2s"}, "(scope=? AND trigram=? AND (provider,name_key)<(?,?))"},
	} {
		f := tc.f
		f.Query, f.Limit = "oken 05", 100
		q, args := trigramListQuery(f, narrowing{index: trigramNarrowing, args: append([]any{" 05"}, tc.types...)})
		p := plan(t, s, q, args...)
		if !strings.Contains(p, "SEARCH token_trigrams USING PRIMARY KEY "+tc.key) || !strings.Contains(p, "SEARCH tokens USING INTEGER PRIMARY KEY (rowid=?)") ||
			strings.Count(p, "TEMP B-TREE") > 1 || scansTable(strings.ReplaceAll(p, "SCAN (subquery", "")) || len(tc.types) > 1 && f.Sort == "" && !strings.Contains(p, "MERGE (UNION ALL)") {
			t.Errorf("%+v %q: %s", f, tc.types, p)
		}
	}
	for _, prov := range []string{"", "redox"} {
		q, args := trigramCountsQuery(0, []string{"ab ", "b c", " cd"}, prov)
		if p := plan(t, s, q, args...); !strings.Contains(p, "SEARCH token_trigram_counts USING PRIMARY KEY (scope=? AND trigram=?") ||
			scansTable(p) || strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("trigram counts: %s", p)
		}
	}
}
