package store

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pressly/goose/v3"
	"github.com/tokendesk/tokendesk/internal/secret"
	"github.com/tokendesk/tokendesk/internal/token"
)

// listNames is the names a list shows for a search, in order.
func listNames(t *testing.T, s *Store, f TokenFilter) []string {
	t.Helper()
	toks, _, err := s.ListTokens(context.Background(), f)
	if err != nil {
		t.Fatalf("%+v: %v", f, err)
	}
	var out []string
	for _, tok := range toks {
		out = append(out, tok.Name)
	}
	return out
}

// A search finds names containing it, any case, in every order and on both
// databases; one or two characters find names starting with them. The
// index follows inserts, renames and deletes.
func TestSearchFindsNamesContainingIt(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s := openTest(t)
		ids := map[string]int64{}
		for _, name := range []string{"Lab Feed", "FEEDER sync", "Zoom Main", "50%_off Feed", "Straße Süd", "Lab"} {
			tok, err := s.CreateToken(ctx, token.Change{Provider: "redox", Name: name, Encrypted: true, Rate: token.Disabled,
				Set: map[string]string{"api_key": "k", "secret": "s"}}, "test")
			if err != nil {
				t.Fatal(err)
			}
			ids[name] = tok.ID
		}
		for _, tc := range []struct {
			q    string
			want []string
		}{
			{"feed", []string{"50%_off Feed", "FEEDER sync", "Lab Feed"}},
			{"  eed ", []string{"50%_off Feed", "FEEDER sync", "Lab Feed"}},
			{"Ab F", []string{"Lab Feed"}},
			{"%_o", []string{"50%_off Feed"}}, // LIKE's wildcards are plain text
			{"_", nil},                        // short: a prefix, and no name starts with it
			{"STRASSE", []string{"Straße Süd"}},
			{"süd", []string{"Straße Süd"}},
			{"la", []string{"Lab", "Lab Feed"}}, // short: names starting with it
			{"ab", nil},
			{"nothing", nil},
			{`fe"ed`, nil},
		} {
			for _, sort := range []string{SortName, SortType, SortChanged} {
				// Both plans: the few matches from the index, or the order's index walked.
				for _, limit := range []int{100, 1} {
					got := listNames(t, s, TokenFilter{Query: tc.q, Sort: sort, Limit: 0})
					if sort == SortName && limit == 100 && !slices.Equal(got, tc.want) {
						t.Errorf("search %q: %q, want %q", tc.q, got, tc.want)
					}
					slices.Sort(got)
					if !slices.Equal(got, tc.want) {
						t.Errorf("search %q by %s: %q, want %q", tc.q, sort, got, tc.want)
					}
					for _, narrow := range []bool{false, true} {
						if narrow && s.d == postgres {
							continue
						}
						q, args := tokenListQuery(TokenFilter{Query: tc.q, Sort: sort, Limit: limit, dialect: s.d}, narrow)
						rows, err := s.read.QueryContext(ctx, q, args...)
						if err != nil {
							t.Fatalf("%q narrow=%v: %v", tc.q, narrow, err)
						}
						n := 0
						for rows.Next() {
							n++
						}
						rows.Close()
						if want := min(len(tc.want), limit+1); n != want {
							t.Errorf("search %q by %s narrow=%v limit %d: %d rows, want %d", tc.q, sort, narrow, limit, n, want)
						}
					}
				}
			}
		}

		// The Audit Log's Token filter offers the names containing a part.
		if got, err := s.TokenNamesContaining(ctx, "FEED", 10); err != nil || !slices.Equal(got, []string{"50%_off Feed", "FEEDER sync", "Lab Feed"}) {
			t.Errorf("names containing FEED: %q %v", got, err)
		}
		if got, err := s.TokenNamesContaining(ctx, "la", 1); err != nil || !slices.Equal(got, []string{"Lab"}) {
			t.Errorf("names starting with la: %q %v", got, err)
		}

		// Renamed and deleted tokens leave the index.
		if _, _, err := s.UpdateToken(ctx, ids["Lab Feed"], 1, token.Change{Provider: "redox", Name: "Lab Stream", Encrypted: true, Rate: token.Disabled}, "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeleteTokens(ctx, 0, []int64{ids["FEEDER sync"]}, "test"); err != nil {
			t.Fatal(err)
		}
		if got := listNames(t, s, TokenFilter{Query: "feed"}); !slices.Equal(got, []string{"50%_off Feed"}) {
			t.Errorf("after a rename and a delete: %q", got)
		}
		if got := listNames(t, s, TokenFilter{Query: "stream"}); !slices.Equal(got, []string{"Lab Stream"}) {
			t.Errorf("the new name: %q", got)
		}
		if s.d == sqlite {
			var problems string
			if err := s.read.QueryRowContext(ctx, "SELECT count(*) FROM tokens_search WHERE tokens_search MATCH '\"feed\"'").Scan(&problems); err != nil || problems != "1" {
				t.Errorf("FTS rows for feed: %s %v", problems, err)
			}
			// FTS5's own check: the index agrees with the tokens table.
			if _, err := s.write.ExecContext(ctx, "INSERT INTO tokens_search (tokens_search, rank) VALUES ('integrity-check', 1)"); err != nil {
				t.Errorf("search index out of step: %v", err)
			}
		}
	})
}

// Tokens stored before migration 00021 are found too.
func TestSearchMigrationIndexesExistingTokens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	sub, _ := fs.Sub(migrations, "migrations")
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 20); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO tokens (provider, name, name_key, created_at, created_by, updated_at, updated_by)
		VALUES ('redox', 'Lab Feed', 'lab feed', 0, 'x', 0, 'x')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	box, _ := secret.NewBox(make([]byte, 32))
	s, err := Open(ctx, path, box)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, narrow := range []bool{false, true} {
		q, args := tokenListQuery(TokenFilter{Query: "feed", Limit: 10}, narrow)
		var name string
		if err := s.read.QueryRowContext(ctx, "SELECT name FROM ("+q+") AS page", args...).Scan(&name); err != nil || name != "Lab Feed" {
			t.Fatalf("narrow=%v: %q %v", narrow, name, err)
		}
	}
}
