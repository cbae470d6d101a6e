package store

import (
	"context"
	"fmt"
	"strings"
)

// trigramNarrowing is the narrowing that walks one trigram's names in
// name order (token_trigrams, migration 00025); its one argument is the
// trigram.
const trigramNarrowing = "token_trigrams"

// A search matching thousands of names is too many for FTS5 to hand over
// and the list to sort (chooseNarrowing leaves it to the order's index),
// yet the name index may hold tens of thousands of other names before the
// first match. Every name containing the search holds each of its
// trigrams, so the names of its rarest trigram, in name order, hold every
// match in order: the page is read from them, testing each, until it is
// full. That reads no more entries than the name index would, and, the
// matches being many, few besides the page.

// searchTrigrams are the distinct trigrams of key, in key's order.
func searchTrigrams(key string) []string {
	r := []rune(key)
	var out []string
	seen := map[string]bool{}
	for i := 0; i+SearchContainsMin <= len(r); i++ {
		tri := string(r[i : i+SearchContainsMin])
		if !seen[tri] {
			seen[tri] = true
			out = append(out, tri)
		}
	}
	return out
}

// trigramWalk is the trigram narrowing for f, when its list can be read
// that way (ok false otherwise): a "contains" search on SQLite, in name
// order (or by type with a type chosen: that type's names in name order),
// filtered by nothing that needs the token's row.
func (s *Store) trigramWalk(ctx context.Context, f TokenFilter) (narrowing, bool, error) {
	key, contains := nameSearch(f.Query)
	if s.d != sqlite || !contains || f.Status != "" || cleanText(key) != key {
		return narrowing{}, false, nil
	}
	switch f.Sort {
	case "", SortName:
	case SortType:
		at := f.After
		if at == nil {
			at = f.Before
		}
		if f.Provider == "" || at != nil && at.Provider != f.Provider {
			return narrowing{}, false, nil
		}
	default:
		return narrowing{}, false, nil
	}
	tris := searchTrigrams(key)
	args := []any{f.AppID}
	for _, t := range tris {
		args = append(args, t)
	}
	rows, err := s.listQuery(ctx, trigramCountsQuery(len(tris)), args...)
	if err != nil {
		return narrowing{}, false, fmt.Errorf("store: sizing a token search: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var t string
		var n int
		if err := rows.Scan(&t, &n); err != nil {
			return narrowing{}, false, fmt.Errorf("store: sizing a token search: %w", err)
		}
		counts[t] = n
	}
	if err := rows.Err(); err != nil {
		return narrowing{}, false, fmt.Errorf("store: sizing a token search: %w", err)
	}
	// A trigram no name holds (no row) is the rarest: the walk finds nothing at once.
	rarest := tris[0]
	for _, t := range tris[1:] {
		if counts[t] < counts[rarest] {
			rarest = t
		}
	}
	return narrowing{index: trigramNarrowing, args: []any{rarest}}, true, nil
}

// trigramCountsQuery reads how many names of a scope hold each of n trigrams.
func trigramCountsQuery(n int) string {
	return "SELECT trigram, total FROM token_trigram_counts WHERE scope = ? AND trigram IN (?" + strings.Repeat(", ?", n-1) + ")"
}

// trigramListQuery reads a page of f (see trigramWalk) from the names of
// the trigram nw holds: the page's ids from token_trigrams, in order, then
// their rows.
func trigramListQuery(f TokenFilter, nw narrowing) (string, []any) {
	key, _ := nameSearch(f.Query)
	where := []string{"scope = ?", "trigram = ?", "instr(name_key, ?) > 0"}
	args := []any{f.AppID, nw.args[0], key}
	if f.Provider != "" {
		where = append(where, "provider = ?")
		args = append(args, f.Provider)
	}
	desc := f.Desc
	at := f.After
	if f.Before != nil {
		desc, at = !desc, f.Before
	}
	if at != nil {
		// By type, the cursor's type is the chosen one (trigramWalk): the
		// order within it is the name's.
		op := " > "
		if desc {
			op = " < "
		}
		where = append(where, "name_key"+op+"?")
		args = append(args, at.Name)
	}
	order := "name_key"
	if desc {
		order += " DESC"
	}
	limit := ""
	if f.Limit > 0 {
		limit = " LIMIT ?"
		args = append(args, f.Limit+1)
	}
	return "SELECT " + tokenCols + " FROM tokens WHERE id IN (SELECT id FROM token_trigrams WHERE " + strings.Join(where, " AND ") +
		" ORDER BY " + order + limit + ") ORDER BY " + listOrder(f.Sort, desc), args
}
