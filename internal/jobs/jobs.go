// Package jobs is what the background workers share (the renewal worker
// and the webhook notifier): one Clock, and one way of running claimed
// work in batches and of sleeping until the next job is due. Each worker
// keeps what is its own: what a job is and what it claims.
package jobs

import (
	"context"
	"sync"
	"time"
)

// Clock is a worker's time: what time it is, and its waits (a backlog's
// pacing, the sleep until the next job is due). The real one is the wall
// clock; tests move a fake one, so that none waits on the wall clock.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed on this
	// clock, and a function that gives up the wait.
	After(d time.Duration) (<-chan time.Time, func())
}

// RealClock is the wall clock.
type RealClock struct{}

// Now is time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// After waits on a timer.
func (RealClock) After(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// TimeFrom is a clock that reads the time from now and waits on the wall
// clock: for callers that keep their own time but never run a worker's
// waiting loop (Renew now, Send test event, RunOnce).
func TimeFrom(now func() time.Time) Clock { return timeFrom(now) }

type timeFrom func() time.Time

func (f timeFrom) Now() time.Time { return f() }

func (timeFrom) After(d time.Duration) (<-chan time.Time, func()) { return RealClock{}.After(d) }

// Every calls do every d until ctx ends, the first time d from now (the
// background chores: a sweep, a poll, a heartbeat, a prune).
func Every(ctx context.Context, d time.Duration, do func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			do()
		}
	}
}

// Waker lets a sleeping worker be woken: work was queued for it.
type Waker struct{ ch chan struct{} }

// NewWaker returns a Waker nobody has woken yet.
func NewWaker() Waker { return Waker{ch: make(chan struct{}, 1)} }

// Wake makes the sleeper look for due work now (or as soon as it next
// sleeps); wake-ups meanwhile count once.
func (w Waker) Wake() {
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

// minSleep keeps a job due "now" from spinning the loop.
const minSleep = 10 * time.Millisecond

// Sleep waits on clock until next is due (zero: nothing is), poll has
// passed, the waker is woken or ctx ends, whichever comes first.
func (w Waker) Sleep(ctx context.Context, clock Clock, next time.Time, poll time.Duration) {
	d := poll
	if !next.IsZero() {
		d = min(d, max(next.Sub(clock.Now()), minSleep))
	}
	elapsed, stop := clock.After(d)
	defer stop()
	select {
	case <-elapsed:
	case <-w.ch:
	case <-ctx.Done():
	}
}

// RunBatches claims work a batch at a time and does each claim, parallel at
// a time, until a batch comes back short (nothing more is due). It returns
// how many claims it did; a failed claim ends it.
func RunBatches[C any](batch, parallel int, claim func() ([]C, error), do func(C)) (int, error) {
	total := 0
	for {
		claims, err := claim()
		if err != nil {
			return total, err
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, max(parallel, 1))
		for _, c := range claims {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				do(c)
			})
		}
		wg.Wait()
		total += len(claims)
		if len(claims) < batch {
			return total, nil
		}
	}
}
