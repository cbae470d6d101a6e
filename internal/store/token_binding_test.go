package store

import (
	"context"
	"database/sql"
	"io/fs"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"
	"github.com/tokendesk/tokendesk/internal/secret"
)

// Migration 00018 rebuilds SQLite's tokens table (AUTOINCREMENT, so ids are
// never handed out twice) on a database that holds tokens: every row that
// points at a token stays (dropping the old table must not cascade), every
// index and trigger is back, each token gets its own consent key, and a
// new token's id is past every id the database remembers, a removed one's
// included.
func TestMigration18KeepsTokensAndNeverReusesIds(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tokendesk.db")
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	sub, _ := fs.Sub(migrations, "migrations")
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 17); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO users (id, email, password_hash, role, created_at, updated_at) VALUES (1, 'a@example.com', 'x', 'admin', 1, 1)`,
		`INSERT INTO apps (id, name, name_key, kind, created_at, created_by, updated_at) VALUES (7, 'Alpha', 'alpha', 'process', 1, 'x', 1)`,
		`INSERT INTO tokens (id, app_id, provider, name, name_key, created_at, created_by, updated_at, updated_by) VALUES (1, NULL, 'redox', 'Feed', 'feed', 1, 'x', 1, 'x')`,
		`INSERT INTO tokens (id, app_id, provider, name, name_key, created_at, created_by, updated_at, updated_by) VALUES (2, 7, 'oauth2', 'Drive', 'drive', 1, 'x', 1, 'x')`,
		`INSERT INTO tokens (id, app_id, provider, name, name_key, created_at, created_by, updated_at, updated_by) VALUES (3, 7, 'oauth2', 'Gone', 'gone', 1, 'x', 1, 'x')`,
		`DELETE FROM tokens WHERE id = 3`, // the newest, removed: SQLite would hand 3 out again
		`INSERT INTO token_values (token_id, field, value, sealed, updated_at, updated_by) VALUES (1, 'secret', x'01', 0, 1, 'x')`,
		`INSERT INTO token_values (token_id, field, value, sealed, updated_at, updated_by) VALUES (2, 'client_secret', x'02', 0, 1, 'x')`,
		`INSERT INTO token_permissions (token_id, app_id) VALUES (1, 7)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// What the rebuild must bring back: every trigger and index on tokens
	// before it (later migrations may add more).
	var before []string
	rows, err := db.QueryContext(ctx, "SELECT type || ' ' || name FROM sqlite_master WHERE tbl_name = 'tokens' AND type IN ('trigger', 'index') AND sql IS NOT NULL")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		before = append(before, n)
	}
	rows.Close()
	if len(before) != 13+9 {
		t.Fatalf("%d triggers and indexes on tokens at migration 17, want 22", len(before))
	}
	db.Close()

	box, _ := secret.NewBox(make([]byte, 32))
	s, err := Open(ctx, path, box)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	count := func(q string) int {
		var n int
		if err := s.read.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	if n := count("SELECT count(*) FROM token_values"); n != 2 {
		t.Fatalf("%d token values left after the rebuild", n)
	}
	if n := count("SELECT count(*) FROM token_permissions"); n != 1 {
		t.Fatalf("%d permissions left after the rebuild", n)
	}
	for _, n := range before {
		var found int
		if err := s.read.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE tbl_name = 'tokens' AND type || ' ' || name = ?", n).Scan(&found); err != nil || found != 1 {
			t.Errorf("%s is gone after the rebuild (%v)", n, err)
		}
	}
	if n := count("SELECT count(DISTINCT consent_key) FROM tokens WHERE length(consent_key) = 32"); n != 2 {
		t.Fatalf("%d distinct consent keys for 2 tokens", n)
	}
	if n := count("SELECT count(*) FROM pragma_foreign_key_check"); n != 0 {
		t.Fatalf("%d rows point nowhere", n)
	}
	if on := count("SELECT foreign_keys FROM pragma_foreign_keys"); on != 1 {
		t.Fatal("foreign keys are off after the migration")
	}

	// The counts the triggers keep still move, and the next id is 4.
	res, err := s.write.ExecContext(ctx, `INSERT INTO tokens (app_id, provider, name, name_key, created_at, created_by, updated_at, updated_by) VALUES (NULL, 'redox', 'New', 'new', 2, 'x', 2, 'x')`)
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := res.LastInsertId(); id != 4 {
		t.Fatalf("the new token got id %d, want 4 (3 was a removed token's)", id)
	}
	if _, err := s.write.ExecContext(ctx, "DELETE FROM tokens WHERE id = 4"); err != nil {
		t.Fatal(err)
	}
	res, _ = s.write.ExecContext(ctx, `INSERT INTO tokens (app_id, provider, name, name_key, created_at, created_by, updated_at, updated_by) VALUES (NULL, 'redox', 'Newer', 'newer', 3, 'x', 3, 'x')`)
	if id, _ := res.LastInsertId(); id != 5 {
		t.Fatalf("after removing the newest token the next got id %d, want 5", id)
	}
	if b, err := s.TokenBindingByID(ctx, 5); err != nil || b.Provider != "redox" || len(b.Key) != 32 {
		t.Fatalf("binding %+v %v", b, err)
	}
}

// Migration 00018 runs outside goose's transaction: a process that dies
// after its COMMIT and before goose records version 18 runs it again at
// the next start. Every statement must then work again, and keep the
// tokens, their values and the trips under way.
func TestMigration18RunsAgainAfterACrashBeforeItIsRecorded(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tokendesk.db")
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	sub, _ := fs.Sub(migrations, "migrations")
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 17); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO users (id, email, password_hash, role, created_at, updated_at) VALUES (1, 'a@example.com', 'x', 'admin', 1, 1)`,
		`INSERT INTO tokens (id, app_id, provider, name, name_key, created_at, created_by, updated_at, updated_by) VALUES (1, NULL, 'redox', 'Feed', 'feed', 1, 'x', 1, 'x')`,
		`INSERT INTO token_values (token_id, field, value, sealed, updated_at, updated_by) VALUES (1, 'secret', x'01', 0, 1, 'x')`,
		`INSERT INTO oauth_states (id, state_hash, user_id, provider, token_id, draft, verifier, created_at, expires_at) VALUES (5, 'h', 1, 'oauth2', 1, x'00', x'00', 1, 2)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := p.UpTo(ctx, 18); err != nil {
		t.Fatal(err)
	}
	// The crash: 00018 committed, its version not recorded.
	if _, err := db.ExecContext(ctx, "DELETE FROM goose_db_version WHERE version_id = 18"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	box, _ := secret.NewBox(make([]byte, 32))
	s, err := Open(ctx, path, box)
	if err != nil {
		t.Fatalf("the next start after the crash: %v", err)
	}
	defer s.Close()
	for q, want := range map[string]int{
		"SELECT count(*) FROM tokens WHERE id = 1 AND length(consent_key) = 32": 1,
		"SELECT count(*) FROM token_values WHERE token_id = 1":                  1,
		"SELECT count(*) FROM oauth_states WHERE id = 5 AND session_ref = ''":   1,
		"SELECT count(*) FROM used_once":                                        0,
		"SELECT count(*) FROM pragma_foreign_key_check":                         0,
		"SELECT foreign_keys FROM pragma_foreign_keys":                          1,
		"SELECT count(*) FROM goose_db_version WHERE version_id = 18":           1,
	} {
		var n int
		if err := s.read.QueryRowContext(ctx, q).Scan(&n); err != nil || n != want {
			t.Errorf("%s: %d (%v), want %d", q, n, err, want)
		}
	}
}
