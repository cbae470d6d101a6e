package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
