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
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sync"
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
// database is dropped when the test ends.
func URL(t testing.TB) string {
	t.Helper()
	return create(t, "template0")
}

// Clone creates a database for this test as a copy of a template: one that
// prepare made from an empty database (migrated it, say), once per key on
// the server, and returns its URL; the copy is dropped when the test ends.
// Copying a database is much cheaper than migrating one. key names what
// prepare makes, version included (a schema's hash), since the template
// stays on the server for the next run: lower-case letters, digits and
// underscores, at most 40.
func Clone(t testing.TB, key string, prepare func(ctx context.Context, url string) error) string {
	t.Helper()
	base := baseURL(t)
	if !templateKey.MatchString(key) {
		t.Fatalf("pgtest: template key %q: lower-case letters, digits and underscores, at most 40", key)
	}
	v, _ := templates.LoadOrStore(key, &template{})
	tm := v.(*template)
	tm.once.Do(func() { tm.err = makeTemplate(base, "tokendesk_tmpl_"+key, prepare) })
	if tm.err != nil {
		t.Fatalf("pgtest: making template %s: %v", key, tm.err)
	}
	return create(t, "tokendesk_tmpl_"+key)
}

var (
	templates   sync.Map // key → *template
	templateKey = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)
)

type template struct {
	once sync.Once
	err  error
}

// makeTemplate makes database name with prepare unless it exists, under an
// advisory lock, since test binaries run side by side: prepare works on a
// database of another name, renamed only once it is whole.
func makeTemplate(base, name string, prepare func(ctx context.Context, url string) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", EnvURL, err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(hashtext($1))", name); err != nil {
		return err
	}
	defer admin.Exec(context.Background(), "SELECT pg_advisory_unlock(hashtext($1))", name)
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil || exists {
		return err
	}
	work := randomName("tokendesk_tmpl_work_")
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+work+" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"); err != nil {
		return err
	}
	u, _ := url.Parse(base)
	u.Path = "/" + work
	if err := prepare(ctx, u.String()); err != nil {
		admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+work+" WITH (FORCE)")
		return err
	}
	_, err = admin.Exec(ctx, "ALTER DATABASE "+work+" RENAME TO "+name)
	return err
}

func baseURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		t.Skip(SkipReason)
	}
	if _, err := url.Parse(base); err != nil {
		t.Fatalf("%s is not a URL", EnvURL)
	}
	return base
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// create makes a database of this test's from template and returns its URL.
func create(t testing.TB, template string) string {
	t.Helper()
	base := baseURL(t)
	u, _ := url.Parse(base)
	name := randomName("tokendesk_test_")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("pgtest: connecting to %s: %v", EnvURL, err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+template+" STRATEGY FILE_COPY ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"); err != nil {
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
