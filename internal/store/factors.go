package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tokendesk/tokendesk/internal/secret"
)

// Second factors (migration 00030): TOTP secrets and passkeys, sealed
// under the master key and bound to their row, never read out except to
// check a sign-in.

// Factor kinds.
const (
	FactorTOTP    = "totp"
	FactorPasskey = "passkey"
)

// Factor is one second factor, without its secret.
type Factor struct {
	ID           int64
	UserID       int64
	Kind         string
	Name         string
	CredentialID []byte
	Confirmed    bool
	CreatedAt    time.Time
	LastUsedAt   time.Time
}

// ErrCodeReplayed: a one-time code of a step already used (or older).
var ErrCodeReplayed = errors.New("store: this one-time code has been used already")

// ErrCodeUsed: a recovery code already spent.
var ErrCodeUsed = errors.New("store: this recovery code has been used already")

func factorAAD(id int64) string { return "user_factor:" + strconv.FormatInt(id, 10) }

// AddFactor stores a factor, its secret sealed. A TOTP factor starts
// unconfirmed (confirmed false) and counts only after ConfirmFactor; any
// earlier unconfirmed one of the same person is dropped. A passkey is
// confirmed by its registration ceremony and audited here.
func (s *Store) AddFactor(ctx context.Context, userID int64, kind, name string, plain, credentialID []byte, confirmed bool) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM user_factors WHERE user_id = ? AND confirmed = 0", userID); err != nil {
			return fmt.Errorf("store: adding factor: %w", err)
		}
		if err := tx.QueryRowContext(ctx,
			"INSERT INTO user_factors (user_id, kind, name, secret, credential_id, confirmed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
			userID, kind, name, []byte{}, credentialID, confirmed, ms(s.Now())).Scan(&id); err != nil {
			return fmt.Errorf("store: adding factor: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE user_factors SET secret = ? WHERE id = ?", s.box.Seal(plain, factorAAD(id)), id); err != nil {
			return fmt.Errorf("store: adding factor: %w", err)
		}
		if !confirmed {
			return nil
		}
		return auditFactor(ctx, tx, s.Now(), userID, ActionFactorAdd, kind+" "+name)
	})
	return id, err
}

func auditFactor(ctx context.Context, tx *sql.Tx, at time.Time, userID int64, action, detail string) error {
	var email string
	if err := tx.QueryRowContext(ctx, "SELECT email FROM users WHERE id = ?", userID).Scan(&email); err != nil {
		return fmt.Errorf("store: factor: %w", err)
	}
	return insertAudit(ctx, tx, Audit{At: at, Actor: email, Action: action, Subject: email, Detail: detail})
}

// ConfirmFactor makes an unconfirmed TOTP factor count, recording step as
// used (the code that confirmed it may not sign in again).
func (s *Store) ConfirmFactor(ctx context.Context, userID, id, step int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var name string
		err := tx.QueryRowContext(ctx, "SELECT name FROM user_factors WHERE id = ? AND user_id = ? AND confirmed = 0", id, userID).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return fmt.Errorf("store: confirming factor: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE user_factors SET confirmed = 1, last_used_at = ? WHERE id = ?", ms(s.Now()), id); err != nil {
			return fmt.Errorf("store: confirming factor: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?", step, userID, step); err != nil {
			return fmt.Errorf("store: confirming factor: %w", err)
		}
		return auditFactor(ctx, tx, s.Now(), userID, ActionFactorAdd, FactorTOTP+" "+name)
	})
}

// Factors lists a person's factors (confirmed ones first, oldest first).
func (s *Store) Factors(ctx context.Context, userID int64) ([]Factor, error) {
	rows, err := s.read.QueryContext(ctx,
		"SELECT id, kind, name, credential_id, confirmed, created_at, last_used_at FROM user_factors WHERE user_id = ? ORDER BY confirmed DESC, id", userID)
	if err != nil {
		return nil, fmt.Errorf("store: factors: %w", err)
	}
	defer rows.Close()
	var out []Factor
	for rows.Next() {
		f := Factor{UserID: userID}
		var created int64
		var used sql.NullInt64
		if err := rows.Scan(&f.ID, &f.Kind, &f.Name, &f.CredentialID, &f.Confirmed, &created, &used); err != nil {
			return nil, fmt.Errorf("store: factors: %w", err)
		}
		f.CreatedAt, f.LastUsedAt = fromMS(created), fromNullMS(used)
		out = append(out, f)
	}
	return out, rows.Err()
}

// HasSecondFactor reports whether the person has a confirmed factor.
func (s *Store) HasSecondFactor(ctx context.Context, userID int64) (bool, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, "SELECT count(*) FROM user_factors WHERE user_id = ? AND confirmed = 1", userID).Scan(&n); err != nil {
		return false, fmt.Errorf("store: factors: %w", err)
	}
	return n > 0, nil
}

// FactorSecret opens one factor's secret, for checking a sign-in.
func (s *Store) FactorSecret(ctx context.Context, userID, id int64) ([]byte, error) {
	var sealed []byte
	err := s.read.QueryRowContext(ctx, "SELECT secret FROM user_factors WHERE id = ? AND user_id = ?", id, userID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("store: factor: %w", err)
	}
	plain, err := s.box.Open(sealed, factorAAD(id))
	if err != nil {
		return nil, fmt.Errorf("store: factor %d: %w", id, err)
	}
	return plain, nil
}

// UseTOTPStep records that a code of step passed for a person, refusing
// (ErrCodeReplayed) a step not later than the last one used: a code is
// good once, even within its window.
func (s *Store) UseTOTPStep(ctx context.Context, userID, factorID, step int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?", step, userID, step)
		if err != nil {
			return fmt.Errorf("store: one-time code: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrCodeReplayed
		}
		if _, err := tx.ExecContext(ctx, "UPDATE user_factors SET last_used_at = ? WHERE id = ?", ms(s.Now()), factorID); err != nil {
			return fmt.Errorf("store: one-time code: %w", err)
		}
		return nil
	})
}

// UpdateFactorSecret rewrites a factor's sealed secret (a passkey's sign
// counter after a sign-in) and marks it used.
func (s *Store) UpdateFactorSecret(ctx context.Context, userID, id int64, plain []byte) error {
	_, err := s.write.ExecContext(ctx, "UPDATE user_factors SET secret = ?, last_used_at = ? WHERE id = ? AND user_id = ?",
		s.box.Seal(plain, factorAAD(id)), ms(s.Now()), id, userID)
	if err != nil {
		return fmt.Errorf("store: factor: %w", err)
	}
	return nil
}

// RemoveFactor deletes one of a person's factors; with the last confirmed
// one go the recovery codes, which only ever stood in for a factor.
func (s *Store) RemoveFactor(ctx context.Context, userID, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var kind, name string
		err := tx.QueryRowContext(ctx, "SELECT kind, name FROM user_factors WHERE id = ? AND user_id = ?", id, userID).Scan(&kind, &name)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return fmt.Errorf("store: removing factor: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM user_factors WHERE id = ?", id); err != nil {
			return fmt.Errorf("store: removing factor: %w", err)
		}
		var left int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM user_factors WHERE user_id = ? AND confirmed = 1", userID).Scan(&left); err != nil {
			return fmt.Errorf("store: removing factor: %w", err)
		}
		if left == 0 {
			if _, err := tx.ExecContext(ctx, "DELETE FROM recovery_codes WHERE user_id = ?", userID); err != nil {
				return fmt.Errorf("store: removing factor: %w", err)
			}
		}
		return auditFactor(ctx, tx, s.Now(), userID, ActionFactorRemove, kind+" "+name)
	})
}

// ResetFactors removes every factor and recovery code of a person, for an
// administrator helping someone who lost their device; audited by actor.
func (s *Store) ResetFactors(ctx context.Context, userID int64, actor string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var email string
		if err := tx.QueryRowContext(ctx, "SELECT email FROM users WHERE id = ?", userID).Scan(&email); errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return fmt.Errorf("store: resetting factors: %w", err)
		}
		for _, q := range []string{"DELETE FROM user_factors WHERE user_id = ?", "DELETE FROM recovery_codes WHERE user_id = ?"} {
			if _, err := tx.ExecContext(ctx, q, userID); err != nil {
				return fmt.Errorf("store: resetting factors: %w", err)
			}
		}
		return insertAudit(ctx, tx, Audit{At: s.Now(), Actor: actor, Action: ActionFactorsReset, Subject: email})
	})
}

// ReplaceRecoveryCodes stores a fresh set of recovery code hashes; the
// earlier set stops working.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM recovery_codes WHERE user_id = ?", userID); err != nil {
			return fmt.Errorf("store: recovery codes: %w", err)
		}
		for _, h := range hashes {
			if _, err := tx.ExecContext(ctx, "INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)", userID, h); err != nil {
				return fmt.Errorf("store: recovery codes: %w", err)
			}
		}
		return auditFactor(ctx, tx, s.Now(), userID, ActionRecoveryCodes, strconv.Itoa(len(hashes))+" new codes")
	})
}

// UseRecoveryCode spends a recovery code: ErrCodeUsed when it was spent
// before, ErrNotFound when it is none of the person's.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, hash []byte) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var used sql.NullInt64
		err := tx.QueryRowContext(ctx, "SELECT used_at FROM recovery_codes WHERE user_id = ? AND code_hash = ?", userID, hash).Scan(&used)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return fmt.Errorf("store: recovery code: %w", err)
		}
		res, err := tx.ExecContext(ctx, "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL", ms(s.Now()), userID, hash)
		if err != nil {
			return fmt.Errorf("store: recovery code: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrCodeUsed
		}
		return nil
	})
}

// RecoveryCodesLeft counts a person's unspent recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, "SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL", userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: recovery codes: %w", err)
	}
	return n, nil
}

// resealFactors moves the factors' secrets to a new master key.
func (s *Store) resealFactors(ctx context.Context, tx *sql.Tx, next *secret.Box) error {
	type row struct {
		id     int64
		sealed []byte
	}
	var all []row
	rows, err := tx.QueryContext(ctx, "SELECT id, secret FROM user_factors")
	if err != nil {
		return fmt.Errorf("store: changing master key: %w", err)
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.sealed); err != nil {
			rows.Close()
			return fmt.Errorf("store: changing master key: %w", err)
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: changing master key: %w", err)
	}
	for _, r := range all {
		plain, err := s.box.Open(r.sealed, factorAAD(r.id))
		if err != nil {
			return fmt.Errorf("store: changing master key: factor %d: %w", r.id, err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE user_factors SET secret = ? WHERE id = ?", next.Seal(plain, factorAAD(r.id)), r.id); err != nil {
			return fmt.Errorf("store: changing master key: %w", err)
		}
	}
	return nil
}
