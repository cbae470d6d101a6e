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
	"strings"
	"time"

	"github.com/tokendesk/tokendesk/internal/secret"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// resealBatch is how many values one re-seal transaction moves: small, so
// that edits and renewals never wait long behind a rotation.
const resealBatch = 200

// keyRotate rotates the data key, online: a new data key becomes current
// for every process sharing the database, and this command re-seals the
// rest, printing progress (a running server's background re-seal helps;
// the shared cursor keeps them from doing a batch twice). With --master it
// changes the master key instead, which only re-wraps the data keys; that
// needs every server stopped, since they hold the old master key.
func keyRotate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tokendesk key rotate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	storeOpts := addStoreFlags(fs)
	master := fs.Bool("master", false, "change the master key (stop every server first)")
	grace := fs.Duration("retire-after", store.DefaultRetireGrace, "how long an old data key outlives the last value sealed with it")
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
	if *master {
		return changeMasterKey(ctx, st, cfg.MasterKey != nil, cfg.MasterKeyFile, stdout)
	}
	st.RetireGrace = *grace
	return rotateDataKey(ctx, st, stdout)
}

func rotateDataKey(ctx context.Context, st *store.Store, stdout io.Writer) error {
	id, err := st.StartKeyRotation(ctx, "tokendesk key rotate")
	switch {
	case errors.Is(err, store.ErrRotationRunning):
		fmt.Fprintln(stdout, "A key rotation is already under way; carrying it on.")
	case err != nil:
		return err
	default:
		fmt.Fprintf(stdout, "Key %d is now the key for new values, in every process sharing the database.\n", id)
	}
	var printed time.Time
	lastDone := -1
	progress := func(force bool) (store.KeyringStatus, error) {
		kr, err := st.KeyringStatus(ctx)
		if err != nil || kr.Rotation == nil {
			return kr, err
		}
		if r := kr.Rotation; force || (r.Done != lastDone && time.Since(printed) >= time.Second) {
			fmt.Fprintln(stdout, views.Resealing(r.Done, r.Total))
			printed, lastDone = time.Now(), r.Done
		}
		return kr, nil
	}
	if _, err := progress(true); err != nil {
		return err
	}
	waitingToRetire := false
	for {
		res, err := st.ResealBatch(ctx, resealBatch)
		if err != nil {
			return fmt.Errorf("re-sealing (run the command again to carry on): %w", err)
		}
		if len(res.Retired) > 0 {
			names := make([]string, len(res.Retired))
			for i, k := range res.Retired {
				names[i] = fmt.Sprint(k)
			}
			fmt.Fprintf(stdout, "Retired key %s: nothing is sealed with it any more.\n", strings.Join(names, ", "))
		}
		if !res.Running {
			break
		}
		if res.More {
			if _, err := progress(false); err != nil {
				return err
			}
			continue
		}
		kr, err := progress(true)
		if err != nil {
			return err
		}
		if r := kr.Rotation; r != nil && r.Done >= r.Total && !waitingToRetire {
			waitingToRetire = true
			fmt.Fprintf(stdout, "Every value is re-sealed; the old key is retired %s after the last one moved.\n", st.RetireGrace)
		}
		if r := kr.Rotation; r != nil && r.Stuck > 0 {
			return fmt.Errorf("%d value(s) open with no key (tampered or damaged); remove their tokens and add them again, and the rotation finishes by itself in a running server", r.Stuck)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stopped; the rotation carries on in a running server, or run the command again: %w", ctx.Err())
		case <-time.After(time.Second):
		}
	}
	kr, err := st.KeyringStatus(ctx)
	if err != nil {
		return err
	}
	if r := kr.Rotation; r != nil {
		fmt.Fprintln(stdout, views.Resealing(r.Done, r.Total))
	}
	for _, k := range kr.Keys {
		if k.Current {
			fmt.Fprintf(stdout, "Done. Key %d seals all %s value(s).\n", k.ID, views.Thousands(k.Values))
		}
	}
	return nil
}

// changeMasterKey re-wraps the data keys under a new master key. With a
// key file, the new key is written beside it first (".new"), the database
// is changed in one transaction, then the new file replaces the old one.
// With TOKENDESK_MASTER_KEY, the new key is printed for the administrator
// to put in its place.
func changeMasterKey(ctx context.Context, st *store.Store, fromEnv bool, keyFile string, stdout io.Writer) error {
	key := secret.GenerateKey()
	next, err := secret.NewBox(key)
	if err != nil {
		return err
	}
	encoded := base64.StdEncoding.EncodeToString(key)
	pending := keyFile + ".new"
	if !fromEnv {
		if err := os.WriteFile(pending, []byte(encoded+"\n"), 0o600); err != nil {
			return fmt.Errorf("writing the new key: %w", err)
		}
	}
	keys, values, err := st.ChangeMasterKey(ctx, next, "tokendesk key rotate --master")
	if err != nil {
		os.Remove(pending)
		return fmt.Errorf("nothing changed, the old key is still the one: %w", err)
	}
	what := fmt.Sprintf("Re-wrapped %d data key(s)", keys)
	if values > 0 {
		what += fmt.Sprintf(" and moved %d value(s) sealed under the old master key to a data key", values)
	}
	if fromEnv {
		fmt.Fprintf(stdout, "%s. Set TOKENDESK_MASTER_KEY to the new key before the next start:\n%s\n", what, encoded)
		return nil
	}
	if err := os.Rename(pending, keyFile); err != nil {
		return errors.Join(fmt.Errorf("the database now needs the new key in %s; move it over %s by hand", pending, keyFile), err)
	}
	fmt.Fprintf(stdout, "%s under a new master key in %s. Back it up; the old key no longer opens anything.\n", what, keyFile)
	return nil
}

// resealInBackground carries on any key rotation, whichever process
// started it, until ctx ends.
func resealInBackground(ctx context.Context, st *store.Store, logger *slog.Logger) {
	for {
		wait := 2 * time.Second
		res, err := st.ResealBatch(ctx, resealBatch)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			logger.Warn("key rotation: re-sealing", "err", err)
			wait = 10 * time.Second
		case res.More:
			wait = 0
		}
		if len(res.Retired) > 0 {
			logger.Info("key rotation finished: old data keys retired", "retired", res.Retired)
		}
		if wait == 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}
