package main

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tokendesk/tokendesk/internal/config"
	"github.com/tokendesk/tokendesk/internal/secret"
)

// Settings that used to pass validation and then disable the API limit or
// fail obscurely stop start-up with one line naming them, before anything
// is created.
func TestUnsupportedSettingsStopStartUpWithOneLine(t *testing.T) {
	for _, tc := range []struct{ env, value, want string }{
		{"TOKENDESK_API_RATE_LIMIT", "NaN", "TOKENDESK_API_RATE_LIMIT"},
		{"TOKENDESK_API_RATE_LIMIT", "Inf", "TOKENDESK_API_RATE_LIMIT"},
		{"TOKENDESK_API_RATE_LIMIT", "1e-300", "TOKENDESK_API_RATE_LIMIT"},
		{"TOKENDESK_API_RATE_LIMIT", "-1", "TOKENDESK_API_RATE_LIMIT"},
		{"TOKENDESK_DATABASE_URL", ":memory:", "in-memory"},
		{"TOKENDESK_DATABASE_URL", "postgres://u:hunter2@db:port/x", "TOKENDESK_DATABASE_URL"},
		{"TOKENDESK_TRUSTED_PROXIES", "the load balancer", "TOKENDESK_TRUSTED_PROXIES"},
	} {
		t.Run(tc.env+"="+tc.value, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"TOKENDESK_DATA_DIR": dir, tc.env: tc.value}
			err := run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, nil, io.Discard, io.Discard)
			if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("start-up error %v: want one line naming %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatal("the error repeats a password from the URL")
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("created %v before refusing", filepath.Join(dir, entries[0].Name()))
			}
		})
	}
}

// A PostgreSQL that does not answer stops start-up with one line that
// does not repeat the password.
func TestUnreachablePostgresStopsStartUpWithOneLine(t *testing.T) {
	env := map[string]string{"TOKENDESK_DATA_DIR": t.TempDir(), "TOKENDESK_DATABASE_URL": "postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=5"}
	err := run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, nil, io.Discard, io.Discard)
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Fatalf("start-up error %v: want one line", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatal("the error repeats a password from the URL")
	}
}

// TOKENDESK_DATABASE_URL naming a FIFO or a symbolic link stops start-up
// with one line naming the setting, and what it names keeps its mode (a
// chmod there once made /dev/null private and broke the machine).
func TestDatabasePathThatIsNotAFileStopsStartUp(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(target, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(target, 0o644)
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.db")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(fifo, 0o644)
	for _, tc := range []struct{ path, changed, want string }{
		{link, target, "symbolic link"},
		{fifo, fifo, "FIFO"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			env := map[string]string{"TOKENDESK_DATA_DIR": t.TempDir(), "TOKENDESK_DATABASE_URL": tc.path}
			err := run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, nil, io.Discard, io.Discard)
			if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "TOKENDESK_DATABASE_URL") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("start-up error %v: want one line naming TOKENDESK_DATABASE_URL and %s", err, tc.want)
			}
			if fi, _ := os.Stat(tc.changed); fi.Mode().Perm() != 0o644 {
				t.Fatalf("mode changed to %v", fi.Mode().Perm())
			}
		})
	}
}

// A world-readable master key file of ours is narrowed at start.
func TestWorldReadableMasterKeyIsNarrowed(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"TOKENDESK_DATA_DIR": dir}
	getenv := func(k string) string { return env[k] }
	key := filepath.Join(dir, "master.key")
	if err := os.WriteFile(key, []byte(base64.StdEncoding.EncodeToString(secret.GenerateKey())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(key, 0o644)
	cfg, err := config.Load(nil, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := openStore(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if fi, _ := os.Stat(key); fi.Mode().Perm() != 0o600 {
		t.Fatalf("master.key left %v", fi.Mode().Perm())
	}
}
