// Package storetest opens stores for tests on either database: SQLite in a
// temporary directory, or a fresh PostgreSQL database made from
// TOKENDESK_TEST_POSTGRES_URL (skipping, and saying why, when it is unset).
package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"testing"

	"github.com/tokendesk/tokendesk/internal/secret"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/store/dbtemplate"
	"github.com/tokendesk/tokendesk/internal/store/pgtest"
)

// The databases a store runs on.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Databases are both, SQLite first.
var Databases = []string{SQLite, Postgres}

// PostgresURL creates an empty PostgreSQL database for this test, dropped
// when it ends, and returns its URL (for a tokendesk process, say). It
// skips the test when no PostgreSQL server is configured.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return pgtest.URL(t)
}

// MigratedPostgresURL is PostgresURL's database already migrated to the
// current schema, with no keyring (store.Open readies one under any
// master key): a copy of a template migrated once (pgtest.Clone), since
// migrating was most of a short PostgreSQL test's time.
func MigratedPostgresURL(t testing.TB) string {
	t.Helper()
	return pgtest.Clone(t, "schema_"+store.PostgresSchema(), store.MigratePostgres)
}

// DatabaseURL is a fresh database of the given kind for this test, for
// store.Open: a SQLite file path in a temporary directory, or a migrated
// PostgreSQL database (MigratedPostgresURL).
func DatabaseURL(t testing.TB, db string) string {
	t.Helper()
	if db == Postgres {
		return MigratedPostgresURL(t)
	}
	return filepath.Join(t.TempDir(), "tokendesk.db")
}

// Box is a master key box with a fixed test key.
func Box(t testing.TB) *secret.Box {
	t.Helper()
	box, err := secret.NewBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// MigratedSQLite writes to path (which must not exist) a SQLite database
// as store.Open leaves a new one under master key: migrated, with its
// first data key. It is a copy of one made once per test binary
// and key (dbtemplate), so that a test does not pay for every migration.
func MigratedSQLite(t testing.TB, key []byte, path string) {
	t.Helper()
	sum := sha256.Sum256(key)
	dbtemplate.SQLite(t, "store.Open "+hex.EncodeToString(sum[:]), path, func(path string) error {
		box, err := secret.NewBox(key)
		if err != nil {
			return err
		}
		s, err := store.Open(context.Background(), path, box)
		if err != nil {
			return err
		}
		return s.Close()
	})
}

// Open opens a migrated store on a fresh database of the given kind,
// closed when the test ends.
func Open(t testing.TB, db string) *store.Store {
	t.Helper()
	url := DatabaseURL(t, db)
	if db == SQLite {
		MigratedSQLite(t, make([]byte, 32), url)
	}
	s, err := store.Open(context.Background(), url, Box(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Run runs test once per database, as subtests named "sqlite" and
// "postgres"; the PostgreSQL one skips when no server is configured.
func Run(t *testing.T, test func(t *testing.T, db string)) {
	t.Helper()
	for _, db := range Databases {
		t.Run(db, func(t *testing.T) {
			if db == Postgres && !pgtest.Available() {
				t.Skip(pgtest.SkipReason)
			}
			test(t, db)
		})
	}
}
