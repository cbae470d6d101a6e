package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// UseOnce records that the one-time hand-over named by hash (a SHA-256 of
// its random id) has been used, and reports whether this was the first
// use: false when it was used before, here or on another replica. expires
// is when the hand-over runs out anyway; rows past it are dropped.
func (s *Store) UseOnce(ctx context.Context, hash string, expires, now time.Time) (bool, error) {
	var first bool
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM used_once WHERE expires_at < ?", ms(now)); err != nil {
			return fmt.Errorf("store: pruning used_once: %w", err)
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO used_once (hash, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING", hash, ms(expires))
		if err != nil {
			return fmt.Errorf("store: used_once: %w", err)
		}
		n, err := res.RowsAffected()
		first = n == 1
		return err
	})
	return first, err
}
