// Package pgtest hands tests a fresh PostgreSQL database of their own, made
// from TOKENDESK_TEST_POSTGRES_URL (scripts/postgres-test starts a
// throwaway cluster and sets it). Without that variable the test skips and
// says why. It imports nothing of tokendesk, so that the store's own tests
// can use it; other tests use storetest.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable holding the URL of a PostgreSQL server (any
// database on it) where tests may create and drop databases.
const EnvURL = "TOKENDESK_TEST_POSTGRES_URL"

// SkipReason is what a PostgreSQL test says when it skips.
const SkipReason = EnvURL + " is not set: PostgreSQL tests skip (make test sets it when PostgreSQL is installed; or run scripts/postgres-test go test ./...)"

// Available reports whether PostgreSQL tests can run.
func Available() bool { return os.Getenv(EnvURL) != "" }

// URL creates an empty database for this test and returns its URL; the
// database is dropped when the test ends. It skips the test when no
// PostgreSQL server is configured.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		t.Skip(SkipReason)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s is not a URL", EnvURL)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "tokendesk_test_" + hex.EncodeToString(b)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("pgtest: connecting to %s: %v", EnvURL, err)
	}
	defer admin.Close(context.Background())
	// template0 and the C collation: the same start whatever the server's
	// defaults, and byte order for text, as SQLite sorts.
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"); err != nil {
		t.Fatalf("pgtest: creating a database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		admin, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("pgtest: dropping %s: %v", name, err)
			return
		}
		defer admin.Close(context.Background())
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: dropping %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
