package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Failed sign-ins are counted here (migration 00012), so that every process
// sharing the database counts against the same limit. The policy (how many
// failures are free, how long a lock lasts) is the caller's.

// errLocked rolls back an attempt that a lock refused.
var errLocked = errors.New("store: locked")

// AttemptsLockedUntil is the latest lock among keys (zero when none is
// locked).
func (s *Store) AttemptsLockedUntil(ctx context.Context, keys []string) (time.Time, error) {
	if len(keys) == 0 {
		return time.Time{}, nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	var until int64
	q := "SELECT coalesce(max(locked_until), 0) FROM login_attempts WHERE key IN (" + placeholders(len(keys)) + ")"
	if err := s.read.QueryRowContext(ctx, q, args...).Scan(&until); err != nil {
		return time.Time{}, fmt.Errorf("store: sign-in attempts: %w", err)
	}
	if until == 0 {
		return time.Time{}, nil
	}
	return fromMS(until), nil
}

// CountAttempt counts one failed sign-in against every key at now, in one
// transaction. Failures last seen before forgetBefore start again from
// one. lockFor says how long a key with that many failures is locked
// (zero: not locked). With refuseLocked, an attempt against a key that is
// locked at now is not counted at all, and the lock's end is returned.
//
// Each key's row is written before its lock is read, so concurrent
// attempts on the same key (from any process) queue on the row: the one
// after the attempt that locked it sees the lock.
func (s *Store) CountAttempt(ctx context.Context, keys []string, now, forgetBefore time.Time, refuseLocked bool,
	lockFor func(key string, failures int) time.Duration) (lockedUntil time.Time, err error) {
	keys = slices.Sorted(slices.Values(keys)) // one order everywhere: no deadlock between two attempts
	err = s.tx(ctx, func(tx *sql.Tx) error {
		locks := map[string]time.Duration{}
		for _, k := range keys {
			var failures int
			var until int64
			err := tx.QueryRowContext(ctx, `
				INSERT INTO login_attempts (key, failures, locked_until, last_at) VALUES (?, 1, 0, ?)
				ON CONFLICT (key) DO UPDATE SET
					failures     = CASE WHEN login_attempts.last_at < ? THEN 1 ELSE login_attempts.failures + 1 END,
					locked_until = CASE WHEN login_attempts.last_at < ? THEN 0 ELSE login_attempts.locked_until END,
					last_at      = excluded.last_at
				RETURNING failures, locked_until`,
				k, ms(now), ms(forgetBefore), ms(forgetBefore)).Scan(&failures, &until)
			if err != nil {
				return fmt.Errorf("store: counting a sign-in attempt: %w", err)
			}
			if refuseLocked && until > ms(now) && fromMS(until).After(lockedUntil) {
				lockedUntil = fromMS(until)
			}
			if d := lockFor(k, failures); d > 0 {
				locks[k] = d
			}
		}
		if !lockedUntil.IsZero() {
			return errLocked
		}
		for _, k := range keys {
			if d, ok := locks[k]; ok {
				if _, err := tx.ExecContext(ctx, "UPDATE login_attempts SET locked_until = ? WHERE key = ?", ms(now.Add(d)), k); err != nil {
					return fmt.Errorf("store: locking sign-ins: %w", err)
				}
			}
		}
		return nil
	})
	if errors.Is(err, errLocked) {
		return lockedUntil, nil
	}
	return time.Time{}, err
}

// RefundAttempt takes back one counted failure from every key; a key left
// with no more failures than free(key) is unlocked.
func (s *Store) RefundAttempt(ctx context.Context, keys []string, free func(key string) int) error {
	keys = slices.Sorted(slices.Values(keys))
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, k := range keys {
			_, err := tx.ExecContext(ctx, `
				UPDATE login_attempts SET
					failures     = failures - 1,
					locked_until = CASE WHEN failures - 1 <= ? THEN 0 ELSE locked_until END
				WHERE key = ? AND failures > 0`, free(k), k)
			if err != nil {
				return fmt.Errorf("store: refunding a sign-in attempt: %w", err)
			}
		}
		return nil
	})
}

// ForgetAttempts forgets a key's failures and lock.
func (s *Store) ForgetAttempts(ctx context.Context, key string) error {
	if _, err := s.write.ExecContext(ctx, "DELETE FROM login_attempts WHERE key = ?", key); err != nil {
		return fmt.Errorf("store: forgetting sign-in attempts: %w", err)
	}
	return nil
}

// PruneAttempts forgets keys last failing before before and not locked at
// now.
func (s *Store) PruneAttempts(ctx context.Context, before, now time.Time) error {
	_, err := s.write.ExecContext(ctx, "DELETE FROM login_attempts WHERE last_at < ? AND locked_until < ?", ms(before), ms(now))
	if err != nil {
		return fmt.Errorf("store: pruning sign-in attempts: %w", err)
	}
	return nil
}

// placeholders is "?, ?, …" for n arguments.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
