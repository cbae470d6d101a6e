package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// TokenBinding is what a consent trip records about the token it started
// for, and what its callback compares before saving onto that token.
type TokenBinding struct {
	AppID    int64 // 0: a global token
	Provider string
	// Key is the token's own random consent key (migration 00018): another
	// token never has the same, even one that somehow had the same id.
	Key string
}

// TokenBindingByID is the binding of token id; ErrNotFound when it is gone.
func (s *Store) TokenBindingByID(ctx context.Context, id int64) (TokenBinding, error) {
	var b TokenBinding
	err := s.read.QueryRowContext(ctx, "SELECT ifnull(app_id, 0), provider, consent_key FROM tokens WHERE id = ?", id).Scan(&b.AppID, &b.Provider, &b.Key)
	if errors.Is(err, sql.ErrNoRows) {
		return b, ErrNotFound
	}
	if err != nil {
		return b, fmt.Errorf("store: token binding: %w", err)
	}
	return b, nil
}
