package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tokendesk/tokendesk/internal/secret"
)

const keyCheckMeta = "key_check"

// VerifyMasterKey proves the store's box holds the key the database was
// created with, recording a key check value on first use.
func (s *Store) VerifyMasterKey(ctx context.Context) error {
	var check []byte
	err := s.read.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", keyCheckMeta).Scan(&check)
	if errors.Is(err, sql.ErrNoRows) {
		// Replicas starting together on a new database: the first key
		// check written is the one every other must match.
		if _, err := s.write.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", keyCheckMeta, s.box.KeyCheck()); err != nil {
			return fmt.Errorf("store: saving key check: %w", err)
		}
		err = s.write.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", keyCheckMeta).Scan(&check)
	}
	if err != nil {
		return fmt.Errorf("store: reading key check: %w", err)
	}
	if err := s.box.VerifyKeyCheck(check); err != nil {
		return secret.ErrWrongKey
	}
	return nil
}
