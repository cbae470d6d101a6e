package auth

import (
	"sync"
	"time"
)

// Throttle slows down repeated failed sign-ins. Keys are accounts and
// client addresses; each gets a number of free failures, after which every
// further failure doubles a lockout, up to Max. Failures are forgotten after
// Forget without a new one.
type Throttle struct {
	Now    func() time.Time
	Free   map[string]int // free failures by key kind ("account", "address")
	Base   time.Duration
	Max    time.Duration
	Forget time.Duration

	mu      sync.Mutex
	entries map[string]*attempts
}

type attempts struct {
	failures    int
	lockedUntil time.Time
	last        time.Time
}

// NewThrottle returns the production policy: 5 free failures per account,
// 20 per address, lockouts from 1 s doubling up to 15 min.
func NewThrottle(now func() time.Time) *Throttle {
	return &Throttle{
		Now:     now,
		Free:    map[string]int{"account": 5, "address": 20},
		Base:    time.Second,
		Max:     15 * time.Minute,
		Forget:  time.Hour,
		entries: map[string]*attempts{},
	}
}

// Key builds a throttle key of a kind.
func Key(kind, value string) string { return kind + ":" + value }

// Wait returns how long the caller must wait before trying again; zero
// when any of keys may try now.
func (t *Throttle) Wait(keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.waitLocked(t.Now(), keys)
}

// waitLocked is the longest lock among keys; the caller holds t.mu.
func (t *Throttle) waitLocked(now time.Time, keys []string) time.Duration {
	var wait time.Duration
	for _, k := range keys {
		if a, ok := t.entries[k]; ok {
			wait = max(wait, a.lockedUntil.Sub(now))
		}
	}
	return wait
}

// Failure records a failed attempt against every key.
func (t *Throttle) Failure(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failLocked(t.Now(), keys)
}

func (t *Throttle) failLocked(now time.Time, keys []string) {
	if len(t.entries) > 50_000 {
		t.prune(now)
	}
	for _, k := range keys {
		a, ok := t.entries[k]
		if !ok || now.Sub(a.last) > t.Forget {
			a = &attempts{}
			t.entries[k] = a
		}
		a.failures++
		a.last = now
		over := a.failures - t.free(k)
		if over > 0 {
			lock := t.Base << min(over-1, 30)
			a.lockedUntil = now.Add(min(lock, t.Max))
		}
	}
}

// Reservation is one sign-in attempt counted before its password is
// checked. Left alone it stays a failure; Succeeded or Cancel take it back.
type Reservation struct {
	t    *Throttle
	keys []string
}

// Reserve counts an attempt as failed against every key before the
// (slow) password comparison, so that parallel guesses cannot all start
// before the first failure is recorded: once the free failures are
// reserved, the next attempt waits. It returns the wait, and nil, when
// any key is locked; nothing is counted then.
func (t *Throttle) Reserve(keys ...string) (time.Duration, *Reservation) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.Now()
	if wait := t.waitLocked(now, keys); wait > 0 {
		return wait, nil
	}
	t.failLocked(now, keys)
	return 0, &Reservation{t: t, keys: keys}
}

// Succeeded ends a reservation whose password was right: the first key
// (the account) is forgotten, the others get their attempt back.
func (r *Reservation) Succeeded() {
	r.t.mu.Lock()
	defer r.t.mu.Unlock()
	delete(r.t.entries, r.keys[0])
	r.t.refundLocked(r.keys[1:])
}

// Cancel takes back an attempt that did not happen.
func (r *Reservation) Cancel() {
	r.t.mu.Lock()
	defer r.t.mu.Unlock()
	r.t.refundLocked(r.keys)
}

func (t *Throttle) refundLocked(keys []string) {
	for _, k := range keys {
		a, ok := t.entries[k]
		if !ok || a.failures == 0 {
			continue
		}
		a.failures--
		if a.failures <= t.free(k) {
			a.lockedUntil = time.Time{}
		}
	}
}

// Success forgets an account's failures (not the address's: a signed-in
// attacker must not reset the counter of the address it guesses from).
func (t *Throttle) Success(accountKey string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.entries, accountKey)
}

func (t *Throttle) free(key string) int {
	for kind, n := range t.Free {
		if len(key) > len(kind) && key[:len(kind)+1] == kind+":" {
			return n
		}
	}
	return 0
}

func (t *Throttle) prune(now time.Time) {
	for k, a := range t.entries {
		if now.Sub(a.last) > t.Forget && now.After(a.lockedUntil) {
			delete(t.entries, k)
		}
	}
}
