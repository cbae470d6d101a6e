// Package dbtemplate hands each test a fresh database that is already
// migrated, by copying one made once per test binary instead of running every
// migration again. Under -race, migrating a new SQLite file (each statement
// re-reads the whole schema) took seconds a test and was most of the suite's
// time; copying the migrated file takes a millisecond. The copy is the same
// database a fresh Open would leave (same migrations, same key check, a data
// key of its own sealed under the same master key), so the tests see
// nothing different.
//
// It imports nothing of tokendesk, so that the store's own tests can use it
// as well as storetest and the web tests.
package dbtemplate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

type template struct {
	once sync.Once
	data []byte
	err  error
}

var templates sync.Map // key → *template

// SQLite writes a copy of the SQLite database template key to path, a file
// that must not exist yet. The first call for a key makes the template:
// create gets a path in a temporary directory, creates and migrates the
// database there and closes it (so its write-ahead log is checkpointed into
// the file). Key names what create depends on, the master key say: two
// different databases need two keys.
func SQLite(t testing.TB, key, path string, create func(path string) error) {
	t.Helper()
	v, _ := templates.LoadOrStore(key, &template{})
	tpl := v.(*template)
	tpl.once.Do(func() { tpl.data, tpl.err = build(create) })
	if tpl.err != nil {
		t.Fatalf("dbtemplate: making the template database %q: %v", key, tpl.err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, tpl.data, 0o600); err != nil {
		t.Fatalf("dbtemplate: %v", err)
	}
}

func build(create func(path string) error) ([]byte, error) {
	dir, err := os.MkdirTemp("", "tokendesk-template-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "template.db")
	if err := create(path); err != nil {
		return nil, err
	}
	// Left-over log pages would be lost in the copy: the template must
	// be whole in its main file.
	for _, side := range []string{"-wal", "-journal"} {
		if fi, err := os.Stat(path + side); err == nil && fi.Size() > 0 {
			return nil, fmt.Errorf("%s still holds %d bytes after closing: close every connection in create", filepath.Base(path+side), fi.Size())
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return os.ReadFile(path)
}
