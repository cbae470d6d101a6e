package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tokendesk/tokendesk/internal/config"
	"github.com/tokendesk/tokendesk/internal/secret"
	"github.com/tokendesk/tokendesk/internal/store"
)

// Two replicas starting at once with the same TOKENDESK_ADMIN_* both
// start, and there is one administrator: the slower one finds it made.
func TestTwoReplicasStartingWithTheAdminSettingsMakeOneAdministrator(t *testing.T) {
	box, err := secret.NewBox(secret.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tokendesk.db")
	cfg := config.Config{AdminEmail: "ada@example.com", AdminPassword: "correct horse battery"}
	var handles [2]*store.Store
	for i := range handles {
		if handles[i], err = store.Open(context.Background(), path, box); err != nil {
			t.Fatal(err)
		}
		defer handles[i].Close()
	}
	errs := make([]error, len(handles))
	var wg sync.WaitGroup
	for i, st := range handles {
		wg.Go(func() { errs[i] = ensureAdmin(t.Context(), cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil))) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d did not start: %v", i, err)
		}
	}
	if n, err := handles[0].CountUsers(t.Context()); err != nil || n != 1 {
		t.Fatalf("%d users, %v: want one administrator", n, err)
	}
}
