package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/tokendesk/tokendesk/internal/secret"
	"github.com/tokendesk/tokendesk/internal/store/pgtest"
)

// PostgreSQL migration 00021 needs the pg_trgm extension. A role that may
// not create it (no CREATE on the database, as in many managed setups)
// gets one line at start-up saying what to grant or run; once a DBA has
// created the extension (here in a schema of its own, off the search
// path), the same role starts without creating anything.
func TestPostgresSearchExtensionNeedsOneClearStep(t *testing.T) {
	if !pgtest.Available() {
		t.Skip(pgtest.SkipReason)
	}
	ctx := context.Background()
	b := make([]byte, 4)
	rand.Read(b)
	role := "tokendesk_app_" + hex.EncodeToString(b)
	super := func(dbURL string, qs ...string) {
		t.Helper()
		c, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		for _, q := range qs {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	// Registered first, so it runs after the database is dropped.
	t.Cleanup(func() { super(os.Getenv(pgtest.EnvURL), "DROP ROLE IF EXISTS "+role) })
	dbURL := pgtest.URL(t)
	db := strings.TrimPrefix(must(url.Parse(dbURL)).Path, "/")
	super(dbURL, "CREATE ROLE "+role+" LOGIN", "GRANT CONNECT ON DATABASE "+db+" TO "+role, "GRANT ALL ON SCHEMA public TO "+role)
	u := must(url.Parse(dbURL))
	u.User = url.User(role)
	box, _ := secret.NewBox(make([]byte, 32))

	_, err := Open(ctx, u.String(), box)
	if err == nil {
		t.Fatal("started without pg_trgm, which the role cannot create")
	}
	msg := err.Error()
	for _, want := range []string{"pg_trgm", "GRANT CREATE ON DATABASE " + db + " TO " + role, `"CREATE EXTENSION pg_trgm;"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("start-up error does not say %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "\n") || strings.Contains(msg, "partial migration") {
		t.Errorf("start-up error is not one plain line: %q", msg)
	}

	super(dbURL, "CREATE SCHEMA trgm", "CREATE EXTENSION pg_trgm SCHEMA trgm", "GRANT USAGE ON SCHEMA trgm TO "+role)
	s, err := Open(ctx, u.String(), box)
	if err != nil {
		t.Fatalf("with pg_trgm created by a DBA: %v", err)
	}
	defer s.Close()
	var n int
	if err := s.read.QueryRowContext(ctx, "SELECT count(*) FROM pg_indexes WHERE indexname = 'tokens_name_trgm'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("search index: %d (%v)", n, err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
