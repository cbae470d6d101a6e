package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/tokendesk/tokendesk/internal/secret"
	"github.com/tokendesk/tokendesk/internal/store/storetest"
)

// seedKey is the master key of every data directory seedDataDir fills, one
// per test binary.
var seedKey = secret.GenerateKey()

// firstStartTests check what the first start itself writes (the master key
// file's mode): their data directories are never seeded.
var firstStartTests = map[string]bool{"TestRestartKeepsTokensAndSessions": true}

// seedDataDir fills an empty data directory with what the first start of
// `serve` leaves there, a master key file and a migrated database
// (storetest.MigratedSQLite copies one made once per test binary), so that
// each start in these tests does not run every migration again (seconds
// under -race). It leaves alone every other start: a directory that is not
// empty (a restart, or a test preparing files of its own), a master key or
// database given by the environment, and firstStartTests.
func seedDataDir(t *testing.T, env map[string]string) {
	t.Helper()
	dir := env["TOKENDESK_DATA_DIR"]
	if dir == "" || firstStartTests[t.Name()] || env["TOKENDESK_MASTER_KEY"] != "" || env["TOKENDESK_MASTER_KEY_FILE"] != "" || env["TOKENDESK_DATABASE_URL"] != "" {
		return
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) > 0 {
		return
	}
	// The file as secret.LoadOrCreateKeyFile writes it.
	if err := os.WriteFile(filepath.Join(dir, "master.key"), []byte(base64.StdEncoding.EncodeToString(seedKey)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	storetest.MigratedSQLite(t, seedKey, filepath.Join(dir, "tokendesk.db"))
}
