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
// yet that index may hold tens of thousands of other names before the
// first match. Every name containing the search holds each of its
// trigrams, so the names of its rarest trigram, in the list's order, hold
// every match in order: the page is read from them, testing each, until it
// is full. That reads no more entries than the order's index would, and,
// the matches being many, few besides the page. token_trigrams is in type
// order (type, then name); by name, the runs of the trigram's few types,
// each in name order, are merged.

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
// that way (ok false otherwise): a "contains" search on SQLite, by name or
// type, filtered by nothing that needs the token's row. Its arguments are
// the trigram, then the types whose runs hold it (by name, the runs to
// merge).
func (s *Store) trigramWalk(ctx context.Context, f TokenFilter) (narrowing, bool, error) {
	key, contains := nameSearch(f.Query)
	if s.d != sqlite || !contains || f.Status != "" || cleanText(key) != key {
		return narrowing{}, false, nil
	}
	switch f.Sort {
	case "", SortName, SortType:
	default:
		return narrowing{}, false, nil
	}
	tris := searchTrigrams(key)
	query, args := trigramCountsQuery(f.AppID, tris, f.Provider)
	rows, err := s.listQuery(ctx, query, args...)
	if err != nil {
		return narrowing{}, false, fmt.Errorf("store: sizing a token search: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	types := map[string][]string{}
	for rows.Next() {
		var t, prov string
		var n int
		if err := rows.Scan(&t, &prov, &n); err != nil {
			return narrowing{}, false, fmt.Errorf("store: sizing a token search: %w", err)
		}
		counts[t] += n
		types[t] = append(types[t], prov)
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
	nw := narrowing{index: trigramNarrowing, args: []any{rarest}}
	for _, p := range types[rarest] {
		nw.args = append(nw.args, p)
	}
	return nw, true, nil
}

// trigramCountsQuery reads how many names of each type in a scope hold
// each of tris (of type provider only, when set), types in order.
func trigramCountsQuery(appID int64, tris []string, provider string) (string, []any) {
	args := []any{appID}
	for _, t := range tris {
		args = append(args, t)
	}
	q := "SELECT trigram, provider, total FROM token_trigram_counts WHERE scope = ? AND trigram IN (?" + strings.Repeat(", ?", len(tris)-1) + ")"
	if provider != "" {
		q += " AND provider = ?"
		args = append(args, provider)
	}
	return q + " AND total > 0 ORDER BY scope, trigram, provider", args
}

// trigramListQuery reads a page of f (see trigramWalk) from the names of
// the trigram nw holds: the page's ids from token_trigrams, in order, then
// their rows.
func trigramListQuery(f TokenFilter, nw narrowing) (string, []any) {
	key, _ := nameSearch(f.Query)
	tri := nw.args[0]
	desc := f.Desc
	at := f.After
	if f.Before != nil {
		desc, at = !desc, f.Before
	}
	op, dir := " > ", ""
	if desc {
		op, dir = " < ", " DESC"
	}
	// run is the walk of one range of token_trigrams (one type's, when
	// provider is set), in the list's order.
	run := func(provider any, order string) (string, []any) {
		where := "scope = ? AND trigram = ?"
		args := []any{f.AppID, tri}
		if provider != nil {
			where += " AND provider = ?"
			args = append(args, provider)
		}
		where += " AND instr(name_key, ?) > 0"
		args = append(args, key)
		switch {
		case at == nil:
		case f.Sort != SortType || provider != nil && provider == at.Provider:
			where += " AND name_key" + op + "?"
			args = append(args, at.Name)
		case provider == nil:
			where += " AND (provider, name_key)" + op + "(?, ?)"
			args = append(args, at.Provider, at.Name)
		case (provider.(string) > at.Provider) != desc:
			// The whole run lies past the cursor.
		default:
			where += " AND 1 = 0" // the whole run lies before it
		}
		return "SELECT id, name_key FROM token_trigrams WHERE " + where + " ORDER BY " + order, args
	}
	var pick string
	var args []any
	types := nw.args[1:]
	switch {
	case f.Provider != "":
		pick, args = run(f.Provider, "name_key"+dir)
	case f.Sort == SortType:
		pick, args = run(nil, "provider"+dir+", name_key"+dir)
	case len(types) == 0:
		pick, args = run("", "name_key"+dir) // no name holds the trigram
	case len(types) == 1:
		pick, args = run(types[0], "name_key"+dir)
	default:
		// By name, the types' runs merged (SQLite reads each in order,
		// and stops with the page).
		var arms []string
		for _, p := range types {
			q, a := run(p, "name_key"+dir)
			arms = append(arms, strings.TrimSuffix(q, " ORDER BY name_key"+dir))
			args = append(args, a...)
		}
		pick = strings.Join(arms, " UNION ALL ") + " ORDER BY name_key" + dir
	}
	if f.Limit > 0 {
		pick += " LIMIT ?"
		args = append(args, f.Limit+1)
	}
	return "SELECT " + tokenCols + " FROM tokens WHERE id IN (SELECT id FROM (" + pick + ")) ORDER BY " + listOrder(f.Sort, desc), args
}
