package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tokendesk/tokendesk/internal/secret"
)

// The database and its -wal and -shm files are readable by their owner
// only, whether new or left 0644 by an older version.
func TestDatabaseFilesArePrivate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokendesk.db")
	box, err := secret.NewBox(secret.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	open := func() *Store {
		t.Helper()
		st, err := Open(context.Background(), path, box)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateUser(context.Background(), filepath.Base(t.TempDir())+"@example.com", "x", RoleAdmin); err != nil {
			t.Fatal(err)
		}
		return st
	}
	check := func(when string) {
		t.Helper()
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if mode := fi.Mode().Perm(); mode != 0o600 {
				t.Errorf("%s: %s has mode %o, want 600", when, filepath.Base(p), mode)
			}
		}
	}

	st := open()
	check("new database")

	// An older version left them world-readable; the next start narrows them.
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	for _, p := range []string{path + "-wal", path + "-shm"} {
		os.WriteFile(p, nil, 0o644) // as a crash would leave them
		os.Chmod(p, 0o644)
	}
	st = open()
	defer st.Close()
	check("existing 0644 database")
}
