package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RecordRejection notes that API client by reported token id's current
// access token, whose SHA-256 is hash (token.RejectedHash), refused by its
// service at at. The hash is kept at once, so that no replica hands that
// token out again (the change log tells them); the time and the client,
// shown on the token's page, are written once per every (a looping app
// writes them the first time).
func (s *Store) RecordRejection(ctx context.Context, id int64, hash []byte, at time.Time, by string, every time.Duration) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE tokens SET rejected_hash = ?,
			rejected_at = CASE WHEN rejected_at IS NULL OR rejected_at <= ? THEN ? ELSE rejected_at END,
			rejected_by = CASE WHEN rejected_at IS NULL OR rejected_at <= ? THEN ? ELSE rejected_by END
			WHERE id = ?`, hash, ms(at.Add(-every)), ms(at), ms(at.Add(-every)), by, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: recording a refused token: %w", err)
	}
	return nil
}

// Rejection is when an app last reported token id's access token refused,
// and by which API client (zero and "" when none did).
func (s *Store) Rejection(ctx context.Context, id int64) (time.Time, string, error) {
	var at sql.NullInt64
	var by string
	err := s.read.QueryRowContext(ctx, "SELECT rejected_at, rejected_by FROM tokens WHERE id = ?", id).Scan(&at, &by)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, "", ErrNotFound
	}
	if err != nil {
		return time.Time{}, "", fmt.Errorf("store: reading a refused token: %w", err)
	}
	return fromNullMS(at), by, nil
}
