package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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

// A database path that names a FIFO, a symbolic link or a directory, or
// whose -wal or -shm file is a link, is refused before anything is opened
// or changed: what it names keeps its mode. (Never a real device here:
// a chmod of /dev/null changes the machine for every other process.)
func TestDatabasePathThatIsNotAFileIsRefusedAndLeftAlone(t *testing.T) {
	box, err := secret.NewBox(secret.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "someone-elses-file")
	if err := os.WriteFile(target, []byte("not a database"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(target, 0o644)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(fifo, 0o644)
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "dir.db")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(sub, 0o755)
	walDB := filepath.Join(dir, "wal.db")
	if err := os.Symlink(target, walDB+"-wal"); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct{ path, what, changed string }{
		{fifo, "a FIFO", fifo},
		{link, "a symbolic link", target},
		{sub, "a directory", sub},
		{walDB, "a symbolic link (wal.db-wal)", target},
	} {
		before, err := os.Stat(tc.changed)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			st, err := Open(context.Background(), tc.path, box)
			if err == nil {
				st.Close()
			}
			done <- err
		}()
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: Open blocked", tc.what)
		}
		if !errors.Is(err, ErrNotRegularFile) || !strings.Contains(err.Error(), tc.what) {
			t.Errorf("%s: Open said %v", tc.what, err)
		}
		after, err := os.Stat(tc.changed)
		if err != nil {
			t.Fatal(err)
		}
		if after.Mode() != before.Mode() {
			t.Errorf("%s: the mode of what it names changed from %v to %v", tc.what, before.Mode(), after.Mode())
		}
	}
	if data, _ := os.ReadFile(target); string(data) != "not a database" {
		t.Error("the link's target was written to")
	}
}
