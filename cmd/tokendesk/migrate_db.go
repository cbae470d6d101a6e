package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/tokendesk/tokendesk/internal/store"
)

// migrateDB copies the configured SQLite database into an empty PostgreSQL
// database: every row, sealed values as they are (the same master key
// opens them), in one transaction, with the row counts checked table by
// table. Stop the server first, so that nothing changes during the copy.
func migrateDB(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tokendesk migrate-db", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	to := fs.String("to", "", "the empty PostgreSQL database to copy into (postgres://…)")
	storeOpts := addStoreFlags(fs)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("migrate-db: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("migrate-db: unexpected argument %q", fs.Arg(0))
	}
	if !store.IsPostgresURL(*to) {
		return errors.New("migrate-db: --to must be a PostgreSQL URL (postgres://user:password@host:5432/database)")
	}
	cfg, err := storeOpts.config(getenv)
	if err != nil {
		return err
	}
	if cfg.Postgres() {
		return errors.New("migrate-db: the source must be the SQLite database; TOKENDESK_DATABASE_URL names PostgreSQL")
	}
	if _, err := os.Stat(cfg.DatabasePath()); err != nil {
		return fmt.Errorf("migrate-db: no SQLite database at %s", cfg.DatabasePath())
	}
	if cfg.MasterKey == nil {
		if _, err := os.Stat(cfg.MasterKeyFile); err != nil {
			return fmt.Errorf("TOKENDESK_MASTER_KEY_FILE: no master key at %s: the copy needs the key the database was sealed with", cfg.MasterKeyFile)
		}
	}

	// The target must be empty: no tables, or only tokendesk's schema
	// without rows (a copy that failed half-way leaves just that).
	tables, err := store.PostgresTables(ctx, *to)
	if err != nil {
		return fmt.Errorf("migrate-db: the target: %w", err)
	}
	if len(tables) > 0 && !slices.Contains(tables, "goose_db_version") {
		return fmt.Errorf("migrate-db: the target database is not empty (it holds %d tables: %s); copy into a new, empty database",
			len(tables), strings.Join(tables[:min(len(tables), 5)], ", "))
	}

	// The key opens the source (its key check, and one sealed value)
	// before anything is written.
	src, box, err := openStore(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer src.Close()
	if err := src.CheckSealedSample(ctx); err != nil {
		return fmt.Errorf("migrate-db: %w", err)
	}

	dst, err := store.Open(ctx, *to, box)
	if err != nil {
		return fmt.Errorf("migrate-db: opening the target: %w", err)
	}
	defer dst.Close()
	first := true
	counts, err := src.CopyInto(ctx, dst, func(c store.TableCount) {
		if first {
			fmt.Fprintf(stdout, "Copying %s into PostgreSQL (one transaction; sealed values as they are)\n", cfg.DatabasePath())
			first = false
		}
		fmt.Fprintf(stdout, "  %-20s %8d rows\n", c.Table, c.Rows)
	})
	if errors.Is(err, store.ErrTargetNotEmpty) {
		return fmt.Errorf("migrate-db: the target database already holds tokendesk data (%w); copy into a new, empty database", err)
	}
	if err != nil {
		return fmt.Errorf("migrate-db: nothing was copied: %w", err)
	}
	if err := dst.VerifyMasterKey(ctx); err != nil {
		return fmt.Errorf("migrate-db: copied, but the master key does not open the copy: %w", err)
	}
	if err := dst.CheckSealedSample(ctx); err != nil {
		return fmt.Errorf("migrate-db: copied, but: %w", err)
	}
	fmt.Fprintf(stdout, "Done: %d tables, every row count matches. Start tokendesk with TOKENDESK_DATABASE_URL set to that PostgreSQL URL and the same master key.\n", len(counts))
	return nil
}
