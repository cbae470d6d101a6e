package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// LeaseUntil is when a token's renewal lease ends (zero when none is
// held), so that "Renew now" can say when a lease left by a stopped
// process frees the token.
func (s *Store) LeaseUntil(ctx context.Context, id int64) (time.Time, error) {
	var until sql.NullInt64
	err := s.read.QueryRowContext(ctx, "SELECT lease_until FROM tokens WHERE id = ?", id).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, ErrNotFound
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: lease: %w", err)
	}
	return fromNullMS(until), nil
}
