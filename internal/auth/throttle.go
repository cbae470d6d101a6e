package auth

import (
	"context"
	"strings"
	"sync"
	"time"
)

// AttemptStore keeps the failure counts; *store.Store implements it. They
// live in the database, not in a process's memory: N replicas sharing one
// database must not give N times the attempts.
type AttemptStore interface {
	AttemptsLockedUntil(ctx context.Context, keys []string) (time.Time, error)
	CountAttempt(ctx context.Context, keys []string, now, forgetBefore time.Time, refuseLocked bool,
		lockFor func(key string, failures int) time.Duration) (time.Time, error)
	RefundAttempt(ctx context.Context, keys []string, free func(key string) int) error
	ForgetAttempts(ctx context.Context, key string) error
	PruneAttempts(ctx context.Context, before, now time.Time) error
}

// Throttle slows down repeated failed sign-ins. Keys are accounts and
// client addresses; each gets a number of free failures, after which every
// further failure doubles a lockout, up to Max. Failures are forgotten after
// Forget without a new one.
type Throttle struct {
	Store  AttemptStore
	Now    func() time.Time
	Free   map[string]int // free failures by key kind ("account", "address")
	Base   time.Duration
	Max    time.Duration
	Forget time.Duration

	mu       sync.Mutex
	prunedAt time.Time
}

// NewThrottle returns the production policy: 5 free failures per account,
// 20 per address, lockouts from 1 s doubling up to 15 min.
func NewThrottle(st AttemptStore, now func() time.Time) *Throttle {
	return &Throttle{
		Store:  st,
		Now:    now,
		Free:   map[string]int{"account": 5, "address": 20},
		Base:   time.Second,
		Max:    15 * time.Minute,
		Forget: time.Hour,
	}
}

// Key builds a throttle key of a kind.
func Key(kind, value string) string { return kind + ":" + value }

// Wait returns how long the caller must wait before trying again; zero
// when any of keys may try now.
func (t *Throttle) Wait(ctx context.Context, keys ...string) (time.Duration, error) {
	until, err := t.Store.AttemptsLockedUntil(ctx, keys)
	if err != nil {
		return 0, err
	}
	return max(0, until.Sub(t.Now())), nil
}

// Failure records a failed attempt against every key.
func (t *Throttle) Failure(ctx context.Context, keys ...string) error {
	_, err := t.count(ctx, keys, false)
	return err
}

func (t *Throttle) count(ctx context.Context, keys []string, refuseLocked bool) (time.Duration, error) {
	now := t.Now()
	t.prune(ctx, now)
	until, err := t.Store.CountAttempt(ctx, keys, now, now.Add(-t.Forget), refuseLocked, t.lockFor)
	if err != nil || until.IsZero() {
		return 0, err
	}
	return max(time.Millisecond, until.Sub(now)), nil
}

// lockFor is the lock after failures failures of key.
func (t *Throttle) lockFor(key string, failures int) time.Duration {
	over := failures - t.free(key)
	if over <= 0 {
		return 0
	}
	return min(t.Base<<min(over-1, 30), t.Max)
}

// Reservation is one sign-in attempt counted before its password is
// checked. Left alone it stays a failure; Succeeded or Cancel take it back.
type Reservation struct {
	t    *Throttle
	keys []string
}

// Reserve counts an attempt as failed against every key before the
// (slow) password comparison, so that parallel guesses (on this process
// or another) cannot all start before the first failure is recorded: once
// the free failures are reserved, the next attempt waits. It returns the
// wait, and nil, when any key is locked; nothing is counted then.
func (t *Throttle) Reserve(ctx context.Context, keys ...string) (time.Duration, *Reservation, error) {
	wait, err := t.count(ctx, keys, true)
	if err != nil || wait > 0 {
		return wait, nil, err
	}
	return 0, &Reservation{t: t, keys: keys}, nil
}

// Succeeded ends a reservation whose password was right: the first key
// (the account) is forgotten, the others get their attempt back.
func (r *Reservation) Succeeded(ctx context.Context) error {
	if err := r.t.Store.ForgetAttempts(ctx, r.keys[0]); err != nil {
		return err
	}
	return r.t.Store.RefundAttempt(ctx, r.keys[1:], r.t.free)
}

// Cancel takes back an attempt that did not happen.
func (r *Reservation) Cancel(ctx context.Context) error {
	return r.t.Store.RefundAttempt(ctx, r.keys, r.t.free)
}

func (t *Throttle) free(key string) int {
	for kind, n := range t.Free {
		if strings.HasPrefix(key, kind+":") {
			return n
		}
	}
	return 0
}

// prune forgets old failures now and then (at most every Forget/4).
func (t *Throttle) prune(ctx context.Context, now time.Time) {
	t.mu.Lock()
	due := now.Sub(t.prunedAt) > t.Forget/4
	if due {
		t.prunedAt = now
	}
	t.mu.Unlock()
	if due {
		// Best effort: a failed prune leaves rows that the next one takes.
		_ = t.Store.PruneAttempts(ctx, now.Add(-t.Forget), now)
	}
}
