package auth

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/clocktest"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/store/storetest"
)

// twoReplicas opens one database through two store handles, as two
// processes sharing it would: SQLite, and PostgreSQL when configured.
func twoReplicas(t *testing.T, db string) (a, b *store.Store) {
	t.Helper()
	url := storetest.DatabaseURL(t, db)
	for _, s := range []**store.Store{&a, &b} {
		st, err := store.Open(context.Background(), url, storetest.Box(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		*s = st
	}
	return a, b
}

// Two replicas count one account's failures together: the sixth wrong
// password locks the account on both, whichever took the first five.
func TestReplicasShareSignInFailures(t *testing.T) { storetest.Run(t, testReplicasShareSignInFailures) }

func testReplicasShareSignInFailures(t *testing.T, db string) {
	sa, sb := twoReplicas(t, db)
	clock := clocktest.At(time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC))
	a, b := NewThrottle(sa, clock.Now), NewThrottle(sb, clock.Now)
	ctx := t.Context()
	acct := Key("account", "ada@example.com")
	for i := range 6 {
		th := a
		if i%2 == 1 {
			th = b
		}
		if err := th.Failure(ctx, acct); err != nil {
			t.Fatal(err)
		}
	}
	for name, th := range map[string]*Throttle{"A": a, "B": b} {
		wait, err := th.Wait(ctx, acct)
		if err != nil || wait != time.Second {
			t.Fatalf("replica %s after 6 failures on two replicas: wait %v, %v; want 1s", name, wait, err)
		}
	}
	if wait, r, err := b.Reserve(ctx, acct); err != nil || wait != time.Second || r != nil {
		t.Fatalf("reserve while locked: %v %v %v", wait, r, err)
	}
	clock.Advance(time.Second)
	if wait, _ := a.Wait(ctx, acct); wait != 0 {
		t.Fatalf("lock outlived its second: %v", wait)
	}
	// The next failure doubles the lock, for both.
	if err := a.Failure(ctx, acct); err != nil {
		t.Fatal(err)
	}
	if wait, _ := b.Wait(ctx, acct); wait != 2*time.Second {
		t.Fatalf("seventh failure: wait %v on the other replica, want 2s", wait)
	}
	// An hour without failures forgets them.
	clock.Advance(time.Hour + time.Second)
	if err := b.Failure(ctx, acct); err != nil {
		t.Fatal(err)
	}
	if wait, _ := a.Wait(ctx, acct); wait != 0 {
		t.Fatalf("failures were not forgotten after an hour: wait %v", wait)
	}
}

// Parallel guesses spread over two replicas cannot all reach the password
// check: each is counted (in the database) before it, so at most the free
// failures plus the one that locks get through.
func TestParallelReservationsOnTwoReplicasHitOneLock(t *testing.T) {
	storetest.Run(t, testParallelReservationsOnTwoReplicasHitOneLock)
}

func testParallelReservationsOnTwoReplicasHitOneLock(t *testing.T, db string) {
	sa, sb := twoReplicas(t, db)
	clock := clocktest.At(time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC))
	throttles := []*Throttle{NewThrottle(sa, clock.Now), NewThrottle(sb, clock.Now)}
	keys := []string{Key("account", "ada@example.com"), Key("address", "192.0.2.7")}
	var checked atomic.Int32
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			wait, r, err := throttles[i%2].Reserve(t.Context(), keys...)
			if err != nil {
				t.Error(err)
				return
			}
			if wait == 0 && r != nil {
				checked.Add(1)
			}
		})
	}
	wg.Wait()
	if n := checked.Load(); n != 6 {
		t.Fatalf("%d of 40 parallel wrong passwords reached the check on two replicas, want 6 (5 free, 1 locking)", n)
	}
}

// A reservation taken back (the check never ran, or the password was
// right) is not a failure on any replica.
func TestReservationsTakenBackOnEveryReplica(t *testing.T) {
	storetest.Run(t, testReservationsTakenBackOnEveryReplica)
}

func testReservationsTakenBackOnEveryReplica(t *testing.T, db string) {
	sa, sb := twoReplicas(t, db)
	clock := clocktest.At(time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC))
	a, b := NewThrottle(sa, clock.Now), NewThrottle(sb, clock.Now)
	ctx := t.Context()
	acct, addr := Key("account", "ada@example.com"), Key("address", "192.0.2.7")
	for range 10 {
		_, r, err := a.Reserve(ctx, acct, addr)
		if err != nil || r == nil {
			t.Fatalf("reserve: %v %v", r, err)
		}
		if err := r.Cancel(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		if err := a.Failure(ctx, acct, addr); err != nil {
			t.Fatal(err)
		}
	}
	_, r, err := b.Reserve(ctx, acct, addr) // the sixth: it would lock, but the password is right
	if err != nil || r == nil {
		t.Fatalf("reserve: %v %v", r, err)
	}
	if err := r.Succeeded(ctx); err != nil {
		t.Fatal(err)
	}
	if wait, _ := a.Wait(ctx, acct, addr); wait != 0 {
		t.Fatalf("a right password left a lock: %v", wait)
	}
	// The address keeps its 5 failures: 15 more free ones, then a lock.
	for range 15 {
		a.Failure(ctx, addr)
	}
	if wait, _ := b.Wait(ctx, addr); wait != 0 {
		t.Fatalf("address locked early: %v", wait)
	}
	a.Failure(ctx, addr)
	if wait, _ := b.Wait(ctx, addr); wait != time.Second {
		t.Fatalf("address after 21 failures: %v, want 1s", wait)
	}
}
