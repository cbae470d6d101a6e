package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RecordRejection notes that API client by reported token id's current
// access token refused by its service at at. Reports closer together than
// every are one report (a looping app writes once, the first time).
func (s *Store) RecordRejection(ctx context.Context, id int64, at time.Time, by string, every time.Duration) error {
	_, err := s.write.ExecContext(ctx, `UPDATE tokens SET rejected_at = ?, rejected_by = ?
		WHERE id = ? AND (rejected_at IS NULL OR rejected_at <= ?)`, ms(at), by, id, ms(at.Add(-every)))
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
