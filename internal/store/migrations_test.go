package store

import (
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// baselineVersion is the version of migrations_postgres/00009_baseline.sql,
// which covers SQLite's migrations up to it.
const baselineVersion = 9

// migrationVersions maps each migration's version to its file name.
func migrationVersions(t *testing.T, files fs.FS, dir string) map[int]string {
	t.Helper()
	names, err := fs.Glob(files, dir+"/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]string{}
	for _, n := range names {
		base := n[strings.LastIndexByte(n, '/')+1:]
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			t.Fatalf("%s: a migration's name starts with its number", n)
		}
		out[v] = base
	}
	return out
}

// Every SQLite migration after the PostgreSQL baseline has a PostgreSQL twin
// with the same number, and PostgreSQL has none that SQLite lacks: the two
// schemas move together (see migrations_postgres/README.md).
func TestEveryMigrationHasAPostgresTwin(t *testing.T) {
	lite := migrationVersions(t, migrations, "migrations")
	pg := migrationVersions(t, migrationsPostgres, "migrations_postgres")
	if _, ok := pg[baselineVersion]; !ok {
		t.Fatalf("migrations_postgres has no baseline %05d", baselineVersion)
	}
	var missing, extra []string
	for v, name := range lite {
		if _, ok := pg[v]; v > baselineVersion && !ok {
			missing = append(missing, name)
		}
	}
	for v, name := range pg {
		if _, ok := lite[v]; !ok {
			extra = append(extra, name)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, name := range missing {
		t.Errorf("SQLite migration %s has no PostgreSQL twin: write internal/store/migrations_postgres/%s (same number, PostgreSQL's SQL)", name, name)
	}
	for _, name := range extra {
		t.Errorf("PostgreSQL migration %s has no SQLite migration of the same number", name)
	}
}

// columns lists every table's columns: "table.column", sorted.
func columns(t *testing.T, s *Store) []string {
	t.Helper()
	// SQLite's full-text index (a virtual table and its shadow tables) is
	// an index by another name: PostgreSQL's twin is a GIN index (00021).
	q := `SELECT m.name || '.' || p.name FROM sqlite_schema m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%' AND m.name <> 'goose_db_version'
		  AND m.name NOT IN (SELECT name FROM pragma_table_list WHERE type IN ('virtual', 'shadow'))`
	if s.d == postgres {
		q = `SELECT table_name || '.' || column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'`
	}
	rows, err := s.read.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Both schemas have the same tables and columns once migrated.
func TestPostgresSchemaMatchesSQLite(t *testing.T) {
	var lite []string
	onBoth(t, func(t *testing.T) {
		s := openTest(t)
		got := columns(t, s)
		if s.d == sqlite {
			lite = got
			return
		}
		if strings.Join(got, "\n") != strings.Join(lite, "\n") {
			t.Fatalf("PostgreSQL's columns differ from SQLite's:\nSQLite:     %v\nPostgreSQL: %v", lite, got)
		}
	})
}
