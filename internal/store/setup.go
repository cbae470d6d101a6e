package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrSetupDone: the first administrator exists already (perhaps created a
// moment ago by another replica).
var ErrSetupDone = errors.New("store: the first administrator exists already")

// CreateFirstAdmin creates an administrator only while there is no user at
// all: of two setups racing, on one process or on two replicas, exactly one
// succeeds and the other gets ErrSetupDone.
//
// Checking for users and inserting one is not enough by itself where two
// transactions run at once (PostgreSQL's READ COMMITTED lets both see no
// user and insert different emails). So the transaction first writes a
// fixed row, which a concurrent setup must wait for, and removes it again:
// the second setup then checks after the first has committed, and sees its
// administrator. (SQLite has one writer at a time anyway.)
func (s *Store) CreateFirstAdmin(ctx context.Context, email, passwordHash string) (User, error) {
	var u User
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES ('setup_lock', ?)", []byte{1}); err != nil {
			return fmt.Errorf("store: first administrator: %w", err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
			return fmt.Errorf("store: first administrator: %w", err)
		}
		if n > 0 {
			return ErrSetupDone
		}
		now := s.Now()
		var id int64
		err := tx.QueryRowContext(ctx,
			"INSERT INTO users (email, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
			email, passwordHash, RoleAdmin, ms(now), ms(now)).Scan(&id)
		if err != nil {
			return fmt.Errorf("store: first administrator: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM meta WHERE key = 'setup_lock'"); err != nil {
			return fmt.Errorf("store: first administrator: %w", err)
		}
		u = User{ID: id, Email: email, PasswordHash: passwordHash, Role: RoleAdmin, Active: true, CreatedAt: now.UTC()}
		return nil
	})
	return u, err
}
