package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Audit actions of a person's own account (issue 23).
const (
	ActionAccountPassword = "account.password"
	ActionFactorAdd       = "account.factor.add"
	ActionFactorRemove    = "account.factor.remove"
	ActionPasskeyClone    = "account.passkey.clone" // a sign-in refused: the sign counter did not go up
	ActionRecoveryCodes   = "account.recovery_codes"
	ActionFactorsReset    = "user.factors.reset"
	ActionInvite          = "user.invite"
	ActionInviteAccept    = "user.invite.accept"
)

// CreateUserMustChange adds a user whose first password an administrator
// typed: they must choose their own at first sign-in.
func (s *Store) CreateUserMustChange(ctx context.Context, email, passwordHash, role string) (User, error) {
	now := s.Now()
	var id int64
	err := s.write.QueryRowContext(ctx,
		"INSERT INTO users (email, password_hash, role, created_at, updated_at, must_change_password) VALUES (?, ?, ?, ?, ?, 1) RETURNING id",
		email, passwordHash, role, ms(now), ms(now)).Scan(&id)
	if err != nil {
		if isUniqueViolation(err) {
			return User{}, ErrDuplicateUser
		}
		return User{}, fmt.Errorf("store: creating user: %w", err)
	}
	return User{ID: id, Email: email, PasswordHash: passwordHash, Role: role, Active: true, CreatedAt: now.UTC(), MustChangePassword: true}, nil
}

// ChangeOwnPassword replaces a person's password with one they chose, ends
// their other sessions (whoever knew the old password is signed out) but
// keeps keepSession (the id hash of the browser that changed it), and
// audits the change.
func (s *Store) ChangeOwnPassword(ctx context.Context, id int64, hash, keepSession string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var email string
		if err := tx.QueryRowContext(ctx, "SELECT email FROM users WHERE id = ?", id).Scan(&email); errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return fmt.Errorf("store: changing password: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = ?, must_change_password = 0, updated_at = ? WHERE id = ?", hash, ms(s.Now()), id); err != nil {
			return fmt.Errorf("store: changing password: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?", id, keepSession); err != nil {
			return fmt.Errorf("store: ending sessions: %w", err)
		}
		return insertAudit(ctx, tx, Audit{At: s.Now(), Actor: email, Action: ActionAccountPassword, Subject: email})
	})
}
