package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/tokendesk/tokendesk/internal/secret"
)

// keyRotate seals every stored credential under a new master key. Stop
// the server first: it holds the old key in memory.
//
// With a key file, the new key is written beside it first (".new"), the
// database is re-sealed in one transaction, then the new file replaces
// the old one. With TOKENDESK_MASTER_KEY, the new key is printed for the
// administrator to put in its place.
func keyRotate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tokendesk key rotate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	storeOpts := addStoreFlags(fs)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("key rotate: %w", err)
	}
	cfg, err := storeOpts.config(getenv)
	if err != nil {
		return err
	}
	if cfg.MasterKey == nil {
		if _, err := os.Stat(cfg.MasterKeyFile); err != nil {
			return fmt.Errorf("TOKENDESK_MASTER_KEY_FILE: no master key at %s to rotate", cfg.MasterKeyFile)
		}
	}
	st, _, err := openStore(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer st.Close()

	key := secret.GenerateKey()
	next, err := secret.NewBox(key)
	if err != nil {
		return err
	}
	encoded := base64.StdEncoding.EncodeToString(key)
	pending := cfg.MasterKeyFile + ".new"
	if cfg.MasterKey == nil {
		if err := os.WriteFile(pending, []byte(encoded+"\n"), 0o600); err != nil {
			return fmt.Errorf("writing the new key: %w", err)
		}
	}
	n, err := st.RotateKey(ctx, next)
	if err != nil {
		os.Remove(pending)
		return fmt.Errorf("nothing changed, the old key is still the one: %w", err)
	}
	if cfg.MasterKey != nil {
		fmt.Fprintf(stdout, "Re-sealed %d value(s). Set TOKENDESK_MASTER_KEY to the new key before the next start:\n%s\n", n, encoded)
		return nil
	}
	if err := os.Rename(pending, cfg.MasterKeyFile); err != nil {
		return errors.Join(fmt.Errorf("the database now needs the new key in %s; move it over %s by hand", pending, cfg.MasterKeyFile), err)
	}
	fmt.Fprintf(stdout, "Re-sealed %d value(s) under a new master key in %s. Back it up; the old key no longer opens anything.\n", n, cfg.MasterKeyFile)
	return nil
}
