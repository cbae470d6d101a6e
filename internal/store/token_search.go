package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tokendesk/tokendesk/internal/token"
)

// SearchContainsMin is the shortest search, in characters, that finds a
// name containing it anywhere: trigram indexes (SQLite's FTS5 trigram
// tokenizer, PostgreSQL's pg_trgm, migration 00021) need three. A shorter
// search finds the names that start with it, from the name index.
const SearchContainsMin = 3

// searchNarrowing is listNarrowing's name for the search index: the
// matching rows are read by id from it (SQLite only, see chooseNarrowing).
const searchNarrowing = "tokens_search"

// nameSearch is the folded search and whether it is a "contains" search.
func nameSearch(query string) (key string, contains bool) {
	key = token.NameKey(query)
	return key, utf8.RuneCountInString(key) >= SearchContainsMin
}

// nameCondition is the WHERE condition for a name search ("" for none):
// a substring of the folded name, or a prefix range of the name index.
// Both sides are folded, so case never matters.
func nameCondition(query string, d dialect) (string, []any) {
	key, contains := nameSearch(query)
	switch {
	case key == "":
		return "", nil
	case contains && d == postgres:
		// What PostgreSQL's trigram index serves.
		return `name_key LIKE ? ESCAPE '\'`, []any{"%" + likeEscaper.Replace(key) + "%"}
	case contains:
		// On SQLite it checks what FTS5 found, or each name the order's
		// index walks past: instr, twice as fast as LIKE there.
		return "instr(name_key, ?) > 0", []any{key}
	}
	// Names starting with key: a range of the name index. U+10FFFF is the
	// largest code point, so every key with the prefix sorts below it.
	return "name_key >= ? AND name_key < ?", []any{key, key + "\U0010FFFF"}
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// searchRowsCondition narrows a SQLite list to the ids FTS5 finds for key
// (a superset of the names containing it: nameCondition then checks each).
func searchRowsCondition(key string) (string, []any) {
	return searchMatchCondition(ftsPhrase(key))
}

// searchMatchCondition narrows a SQLite list to the ids the FTS5 query
// match finds (searchMatch).
func searchMatchCondition(match string) (string, []any) {
	return "id IN (SELECT rowid FROM tokens_search WHERE tokens_search MATCH ?)", []any{match}
}

// ftsPhrase quotes key as one FTS5 phrase: with the trigram tokenizer it
// matches rows holding key as a substring, whatever punctuation it has. A
// NUL byte would end FTS5's query text early (a syntax error): cleaned, it
// finds nothing, as on PostgreSQL (text.go).
func ftsPhrase(key string) string { return `"` + strings.ReplaceAll(cleanText(key), `"`, `""`) + `"` }

// searchMatch is the FTS5 query a list searching key reads its rows with,
// and at most how many names (of any scope, counted no further than
// limit) it finds. FTS5 reads every trigram's list of names in full, and
// in a large install the trigrams of words most names share ("tok",
// "en ") are in nearly every name: a search is asked of the rarest few
// trigrams instead (a superset of the names containing key, which
// nameCondition then checks), found by counting a few of them, from the
// end of key (the part that tells names apart), each no further than
// limit. On PostgreSQL the planner weighs its trigram index itself: it
// answers limit, never fewer.
func (s *Store) searchMatch(ctx context.Context, key string, limit int) (string, int, error) {
	if s.d == postgres {
		return "", limit, nil
	}
	if match, n, ok := s.searches.get(key, limit, s.Now()); ok {
		return match, n, nil
	}
	match, n, err := s.sizeSearch(ctx, key, limit)
	if err == nil {
		s.searches.put(key, limit, match, n, s.Now())
	}
	return match, n, err
}

// sizeSearch is searchMatch without its memory.
func (s *Store) sizeSearch(ctx context.Context, key string, limit int) (string, int, error) {
	count := func(match string) (int, error) {
		var n int
		err := s.queryRow(ctx, "SELECT count(*) FROM (SELECT 1 FROM tokens_search WHERE tokens_search MATCH ? LIMIT ?) AS found",
			match, limit).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("store: sizing a token search: %w", err)
		}
		return n, nil
	}
	type probe struct {
		match string
		n     int
	}
	var rare []probe // below limit, rarest first
	seen := map[string]bool{}
	r := []rune(key)
	for end, probes := len(r), 0; end >= SearchContainsMin && probes < searchProbes; end-- {
		tri := string(r[end-SearchContainsMin : end])
		if seen[tri] {
			continue
		}
		seen[tri] = true
		probes++
		n, err := count(ftsPhrase(tri))
		if err != nil {
			return "", 0, err
		}
		if n < limit {
			rare = append(rare, probe{ftsPhrase(tri), n})
			slices.SortFunc(rare, func(a, b probe) int { return a.n - b.n })
		}
		if len(rare) == 2 || len(rare) == 1 && rare[0].n == 0 {
			break
		}
	}
	switch len(rare) {
	case 0:
		// Every trigram asked is common; the names holding all of key's
		// may still be few.
		match := ftsPhrase(key)
		n, err := count(match)
		return match, n, err
	case 1:
		return rare[0].match, rare[0].n, nil
	}
	return rare[0].match + " AND " + rare[1].match, rare[0].n, nil
}

// searchProbes is how many of a search's trigrams searchMatch counts.
const searchProbes = 4

// TokenNamesContaining lists, in name order, up to limit distinct token
// names of any scope that contain text (as the token list searches: any
// case; one or two characters, names starting with it). The Audit Log's
// Token filter offers them to pick from.
func (s *Store) TokenNamesContaining(ctx context.Context, text string, limit int) ([]string, error) {
	key, contains := nameSearch(text)
	if key == "" {
		return nil, nil
	}
	cond, args := nameCondition(text, s.d)
	if contains && s.d == sqlite {
		rows, a := searchRowsCondition(key)
		cond, args = rows+" AND "+cond, append(a, args...)
	}
	rows, err := s.read.QueryContext(ctx, "SELECT name, name_key FROM tokens WHERE "+cond+
		" GROUP BY name, name_key ORDER BY name_key, name LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: token names: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name, k string
		if err := rows.Scan(&name, &k); err != nil {
			return nil, fmt.Errorf("store: token names: %w", err)
		}
		out = append(out, name)
	}
	return out, rows.Err()
}
