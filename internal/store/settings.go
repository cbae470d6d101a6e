package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// GetSetting reads an administrator setting ("" when unset).
func (s *Store) GetSetting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.read.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: setting: %w", err)
	}
	return v, nil
}

// SetSetting writes an administrator setting and audits the change.
func (s *Store) SetSetting(ctx context.Context, key, value, actor string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value); err != nil {
			return fmt.Errorf("store: setting: %w", err)
		}
		return insertAudit(ctx, tx, Audit{At: s.Now(), Actor: actor, Action: "settings.update", Subject: key, Detail: value})
	})
}
