package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to reach the target as an operator would
	"github.com/tokendesk/tokendesk/internal/secret"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/store/storetest"
	"github.com/tokendesk/tokendesk/internal/token"
)

// migrate-db copies a SQLite installation into an empty PostgreSQL
// database; a server on PostgreSQL then serves the same tokens to the same
// API keys, new rows do not collide with copied ones, and a second copy
// into the now full database is refused.
func TestMigrateDBToPostgres(t *testing.T) {
	ctx := context.Background()
	pgURL := storetest.PostgresURL(t)
	dir := t.TempDir()
	key64, box := newMasterKey(t)
	env := map[string]string{"TOKENDESK_DATA_DIR": dir, "TOKENDESK_MASTER_KEY": key64}
	getenv := func(k string) string { return env[k] }

	src, err := store.Open(ctx, filepath.Join(dir, "tokendesk.db"), box)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.VerifyMasterKey(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := src.CreateUser(ctx, "ada@example.com", "hash", store.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	app, err := src.CreateApp(ctx, "Lab App", "process", nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range []token.Change{
		{Provider: "redox", Name: "Lab Feed", Encrypted: true, Rate: token.Disabled,
			Set: map[string]string{"api_key": "k", "secret": "s", "access_token": "copied-global-token"}},
		{AppID: app.ID, Provider: "redox", Name: "Lab Feed", Encrypted: true, Rate: token.Disabled,
			Set: map[string]string{"api_key": "k2", "secret": "s2", "access_token": "copied-app-token"}},
	} {
		if _, err := src.CreateToken(ctx, ch, "test"); err != nil {
			t.Fatal(err)
		}
	}
	_, globalKey, err := src.CreateClient(ctx, 0, "Global", "test")
	if err != nil {
		t.Fatal(err)
	}
	_, appKey, err := src.CreateClient(ctx, app.ID, "App", "test")
	if err != nil {
		t.Fatal(err)
	}
	src.Close()

	var out bytes.Buffer
	if err := run(ctx, []string{"migrate-db", "--to", pgURL}, getenv, nil, &out, io.Discard); err != nil {
		t.Fatalf("migrate-db: %v\n%s", err, out.String())
	}
	for _, want := range []string{"tokens", "token_values", "api_clients", "users", "every row count matches"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), pgURL) {
		t.Fatal("the output repeats the database URL")
	}
	if !strings.Contains(out.String(), "tokens                      2 rows") {
		t.Fatalf("token count not reported:\n%s", out.String())
	}

	// A server on PostgreSQL with the same key serves the copied tokens.
	inst, err := start(t, map[string]string{"TOKENDESK_DATA_DIR": t.TempDir(), "TOKENDESK_MASTER_KEY": key64, "TOKENDESK_DATABASE_URL": pgURL})
	if err != nil {
		t.Fatal(err)
	}
	fetch := func(key string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, inst.base+"/api/v1/tokens/Lab%20Feed", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ans struct {
			AccessToken string `json:"access_token"`
		}
		json.NewDecoder(resp.Body).Decode(&ans)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("fetch on PostgreSQL: %d", resp.StatusCode)
		}
		return ans.AccessToken
	}
	if got := fetch(globalKey); got != "copied-global-token" {
		t.Fatalf("global client got %q", got)
	}
	if got := fetch(appKey); got != "copied-app-token" {
		t.Fatalf("app client got %q (the app's token shadows the global one)", got)
	}
	inst.stop()

	// New rows take ids after the copied ones.
	dst, err := store.Open(ctx, pgURL, box)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := dst.CreateToken(ctx, token.Change{Provider: "redox", Name: "After", Encrypted: true, Rate: token.Disabled,
		Set: map[string]string{"api_key": "k"}}, "test"); err != nil {
		t.Fatalf("a new token after the copy: %v", err)
	}
	if _, _, err := dst.CreateClient(ctx, 0, "After", "test"); err != nil {
		t.Fatalf("a new client after the copy: %v", err)
	}

	// A second copy into the now full database is refused.
	out.Reset()
	err = run(ctx, []string{"migrate-db", "--to", pgURL}, getenv, nil, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "already holds tokendesk data") {
		t.Fatalf("second copy: %v", err)
	}
}

// A target holding anything else, or a key that does not open the source,
// stops migrate-db before it writes anything.
func TestMigrateDBRefusesBeforeWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key64, box := newMasterKey(t)
	src, err := store.Open(ctx, filepath.Join(dir, "tokendesk.db"), box)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.VerifyMasterKey(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := src.CreateToken(ctx, token.Change{Provider: "redox", Name: "Lab Feed", Encrypted: true, Rate: token.Disabled,
		Set: map[string]string{"api_key": "k"}}, "test"); err != nil {
		t.Fatal(err)
	}
	src.Close()

	t.Run("not a PostgreSQL URL", func(t *testing.T) {
		err := run(ctx, []string{"migrate-db", "--to", "mysql://db/x", "--data-dir", dir}, func(string) string { return key64 }, nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--to") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("target not empty", func(t *testing.T) {
		pgURL := storetest.PostgresURL(t)
		db, err := sql.Open("pgx", pgURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec("CREATE TABLE orders (id BIGINT)"); err != nil {
			t.Fatal(err)
		}
		err = run(ctx, []string{"migrate-db", "--to", pgURL, "--data-dir", dir},
			func(k string) string { return map[string]string{"TOKENDESK_MASTER_KEY": key64}[k] }, nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "not empty") || strings.Contains(err.Error(), pgURL) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("wrong master key", func(t *testing.T) {
		pgURL := storetest.PostgresURL(t)
		other := base64.StdEncoding.EncodeToString(secret.GenerateKey())
		err := run(ctx, []string{"migrate-db", "--to", pgURL, "--data-dir", dir},
			func(k string) string { return map[string]string{"TOKENDESK_MASTER_KEY": other}[k] }, nil, io.Discard, io.Discard)
		if err == nil {
			t.Fatal("copied with the wrong key")
		}
		tables, err := store.PostgresTables(ctx, pgURL)
		if err != nil || len(tables) != 0 {
			t.Fatalf("the target was written to: %v %v", tables, err)
		}
	})
}
