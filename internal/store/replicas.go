package store

import (
	"context"
	"fmt"
	"time"
)

// Heartbeat records that replica id is alive at now, forgets replicas not
// seen since liveSince, and returns how many are alive (id included).
//
// It goes around tx on purpose: a committed transaction counts in Writes,
// which sends the runtime API's next lookup to the change log first, and
// nothing here can change an answer. The statements need no transaction:
// each is correct on its own.
func (s *Store) Heartbeat(ctx context.Context, id string, now, liveSince time.Time) (int, error) {
	if _, err := s.write.ExecContext(ctx, `
		INSERT INTO replicas (id, seen_at) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at`, id, ms(now)); err != nil {
		return 0, fmt.Errorf("store: heartbeat: %w", err)
	}
	if _, err := s.write.ExecContext(ctx, "DELETE FROM replicas WHERE seen_at < ?", ms(liveSince)); err != nil {
		return 0, fmt.Errorf("store: heartbeat: %w", err)
	}
	var n int
	if err := s.write.QueryRowContext(ctx, "SELECT count(*) FROM replicas").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: heartbeat: %w", err)
	}
	return n, nil
}

// LeaveReplicas removes replica id, so that the others take up its share
// at their next heartbeat rather than after it times out.
func (s *Store) LeaveReplicas(ctx context.Context, id string) error {
	if _, err := s.write.ExecContext(ctx, "DELETE FROM replicas WHERE id = ?", id); err != nil {
		return fmt.Errorf("store: leaving replicas: %w", err)
	}
	return nil
}
