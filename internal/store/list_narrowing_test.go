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

// The Status filters that can hold thousands of tokens pick their page from
// the entries of their own index (migration 00023 puts in it every column
// they test and sort by) and read only that page's rows; the statuses with
// an index of their own (Needs secret, Not renewed) use it; a chosen type is
// a range of the type index in name order too (issue 18 item 9).
func TestLargeStatusRangesPickTheirPageFromTheIndex(t *testing.T) {
	s := openTest(t)
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	at := &TokenCursor{Name: "token 05000", Provider: "redox", Changed: 1, ID: 5000}
	for _, st := range []string{token.StatusExpiresSoon, token.StatusExpired, token.StatusExpiredDisabled, token.StatusNotRenewed,
		token.StatusFailing, token.StatusAttention} {
		for _, sort := range []string{SortName, SortType, SortChanged} {
			for _, f := range []TokenFilter{{}, {After: at, Desc: true}, {Before: at}, {Query: "oken 05"}, {Query: "to"}, {Provider: "redox"}} {
				f.Status, f.Sort, f.Now, f.Limit, f.Retired = st, sort, now, 100, []string{"zoom"}
				index, _, _ := listNarrowing(f)
				q, args := tokenListQuery(f, true)
				p := plan(t, s, q, args...)
				// The page's rows by key; the index alone for the rest.
				if !strings.Contains(p, "USING COVERING INDEX "+index+" (<expr>=?") || !strings.Contains(p, "SEARCH tokens USING INTEGER PRIMARY KEY (rowid=?)") || scansTable(p) {
					t.Errorf("%s sort %s %+v: %s", st, sort, f, p)
				}
			}
		}
	}
	for st, index := range map[string]string{token.StatusNeedsSecret: "tokens_scope_needs_secret", token.StatusNotRenewed: "tokens_scope_expired_off"} {
		if got, _, _ := listNarrowing(TokenFilter{Status: st, Now: now}); got != index {
			t.Errorf("%s is narrowed by %q, want %s", st, got, index)
		}
	}
	for _, f := range []TokenFilter{{Provider: "zoom"}, {Provider: "zoom", After: at, Desc: true}, {Provider: "zoom", Sort: SortType, Before: at}} {
		f.Limit = 100
		q, args := tokenListQuery(f, false)
		if p := plan(t, s, q, args...); !strings.Contains(p, "USING INDEX tokens_scope_provider (<expr>=? AND provider=?") || strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("type %+v: %s", f, p)
		}
	}
}

// A list filtered two ways reads the narrower: a search of many names with
// a status no token is in reads that status's index, not every match.
func TestListReadsItsNarrowestFilter(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s := openTest(t)
		now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { return now }
		for i := range 60 {
			if _, err := s.CreateToken(ctx, token.Change{Provider: "redox", Name: fmt.Sprintf("Lab Feed %02d", i), Encrypted: true,
				Rate: token.Disabled, NeedsSecret: i < 3}, "test"); err != nil {
				t.Fatal(err)
			}
		}
		f := TokenFilter{Query: "ab fee", Status: token.StatusNeedsSecret, Now: now, Limit: 10, dialect: s.d}
		nw, err := s.chooseNarrowing(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if nw.index != "tokens_scope_needs_secret" {
			t.Errorf("searching many names with a rare status reads %q", nw.index)
		}
		if got := listNames(t, s, f); !slices.Equal(got, []string{"Lab Feed 00", "Lab Feed 01", "Lab Feed 02"}) {
			t.Errorf("Needs secret, searched: %q", got)
		}
		// The search asks FTS5 for its rarest trigrams; what it lists
		// still contains the whole text.
		f = TokenFilter{Query: "feed 05", Now: now, Limit: 10, dialect: s.d}
		if got := listNames(t, s, f); !slices.Equal(got, []string{"Lab Feed 05"}) {
			t.Errorf("search: %q", got)
		}
		if s.d == sqlite {
			match, n, err := s.searchMatch(ctx, "feed 05", 100)
			if err != nil || n > 10 || strings.Contains(match, "fee") {
				t.Errorf("searchMatch asked %q (%d found, %v): the rare trigrams are at the end", match, n, err)
			}
		}
	})
}
