package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Heartbeat records that replica id is alive at now, forgets replicas not
// seen since liveSince, and returns how many are alive (id included).
func (s *Store) Heartbeat(ctx context.Context, id string, now, liveSince time.Time) (int, error) {
	var n int
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO replicas (id, seen_at) VALUES (?, ?)
			ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at`, id, ms(now)); err != nil {
			return fmt.Errorf("store: heartbeat: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM replicas WHERE seen_at < ?", ms(liveSince)); err != nil {
			return fmt.Errorf("store: heartbeat: %w", err)
		}
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM replicas").Scan(&n); err != nil {
			return fmt.Errorf("store: heartbeat: %w", err)
		}
		return nil
	})
	return n, err
}

// LeaveReplicas removes replica id, so that the others take up its share
// at their next heartbeat rather than after it times out.
func (s *Store) LeaveReplicas(ctx context.Context, id string) error {
	if _, err := s.write.ExecContext(ctx, "DELETE FROM replicas WHERE id = ?", id); err != nil {
		return fmt.Errorf("store: leaving replicas: %w", err)
	}
	return nil
}
