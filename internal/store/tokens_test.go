package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/secret"
)

// Names stored under the old key rule are found by the new one after the
// next start, and two rows that became one name both survive.
func TestNameKeysAreRecomputedAtStart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
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
	toks, total, err := s.ListTokens(ctx, TokenFilter{})
	if err != nil || total != 3 || len(toks) != 3 {
		t.Fatalf("rows lost: %d %v", total, err)
	}
	if got, err := s.ResolveToken(ctx, 0, "LAB FEED"); err != nil || (got.Name != "Lab   Feed" && got.Name != "Lab Feed") {
		t.Fatalf("lab feed: %v %q", err, got.Name)
	}
}

// Every order the token list offers, and the failing count, are served by
// an index: no full sort of a scope's tokens however many there are.
func TestListOrdersUseIndexes(t *testing.T) {
	ctx := context.Background()
	box, err := secret.NewBox(secret.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, filepath.Join(t.TempDir(), "t.db"), box)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	plan := func(query string, args ...any) string {
		rows, err := s.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			out = append(out, detail)
		}
		return strings.Join(out, "; ")
	}
	for _, sort := range []string{SortName, SortType, SortChanged} {
		for _, desc := range []bool{false, true} {
			p := plan("SELECT id FROM tokens WHERE ifnull(app_id, 0) = ? ORDER BY "+listOrder(sort, desc)+" LIMIT 100", 0)
			if strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, "INDEX") {
				t.Errorf("sort %s desc=%v: %s", sort, desc, p)
			}
		}
	}
	if p := plan(`SELECT count(*) FROM tokens WHERE ifnull(app_id, 0) = ? AND failures > 0 AND renewal_rate != 'disabled'`, 0); !strings.Contains(p, "tokens_scope_failing") {
		t.Errorf("failing count: %s", p)
	}
}
