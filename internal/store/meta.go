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

// RotateKey re-seals every sealed value, and the key check, under next, in
// one transaction: the database is readable with either the old key (if
// anything fails) or the new one (once it commits), never half of each.
// It returns how many values were re-sealed.
func (s *Store) RotateKey(ctx context.Context, next *secret.Box) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT token_id, field, value FROM token_values WHERE sealed = 1")
		if err != nil {
			return fmt.Errorf("store: rotating key: %w", err)
		}
		type sealed struct {
			id    int64
			field string
			value []byte
		}
		var all []sealed
		for rows.Next() {
			var v sealed
			if err := rows.Scan(&v.id, &v.field, &v.value); err != nil {
				rows.Close()
				return fmt.Errorf("store: rotating key: %w", err)
			}
			all = append(all, v)
		}
		rows.Close()
		for _, v := range all {
			plain, err := s.box.Open(v.value, valueAAD(v.id, v.field))
			if err != nil {
				return fmt.Errorf("store: rotating key: token %d field %s: %w", v.id, v.field, err)
			}
			if _, err := tx.ExecContext(ctx, "UPDATE token_values SET value = ? WHERE token_id = ? AND field = ?",
				next.Seal(plain, valueAAD(v.id, v.field)), v.id, v.field); err != nil {
				return fmt.Errorf("store: rotating key: %w", err)
			}
			n++
		}
		if _, err := tx.ExecContext(ctx, "UPDATE meta SET value = ? WHERE key = ?", next.KeyCheck(), keyCheckMeta); err != nil {
			return fmt.Errorf("store: rotating key: %w", err)
		}
		return insertAudit(ctx, tx, Audit{At: s.Now(), Actor: "tokendesk key rotate", Action: "key.rotate", Subject: "master key",
			Detail: plural(n, "value", "values") + " re-sealed"})
	})
	if err != nil {
		return 0, err
	}
	s.box = next
	return n, nil
}
