package jobs_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/jobs"
)

// stopped is a clock whose waits never end by themselves.
type stopped struct{ now time.Time }

func (c stopped) Now() time.Time { return c.now }
func (stopped) After(time.Duration) (<-chan time.Time, func()) {
	return make(chan time.Time), func() {}
}

// Batches are claimed until one comes back short, each claim done once,
// never more at once than allowed.
func TestRunBatchesDoesEveryClaimWithinTheBound(t *testing.T) {
	left := 7
	var running, most, done atomic.Int32
	n, err := jobs.RunBatches(3, 2, func() ([]int, error) {
		k := min(3, left)
		left -= k
		return make([]int, k), nil
	}, func(int) {
		r := running.Add(1)
		for m := most.Load(); r > m && !most.CompareAndSwap(m, r); m = most.Load() {
		}
		time.Sleep(time.Millisecond)
		running.Add(-1)
		done.Add(1)
	})
	if err != nil || n != 7 || done.Load() != 7 || most.Load() > 2 {
		t.Fatalf("did %d (%d done, at most %d at once), err %v", n, done.Load(), most.Load(), err)
	}
	boom := errors.New("boom")
	if _, err := jobs.RunBatches(3, 2, func() ([]int, error) { return nil, boom }, func(int) {}); !errors.Is(err, boom) {
		t.Fatalf("a failed claim: %v", err)
	}
}

// A sleeper on a clock that never moves wakes for a wake-up or the end of
// its context, and a wake-up before the sleep is not lost.
func TestSleepEndsOnWakeOrContext(t *testing.T) {
	w := jobs.NewWaker()
	clock := stopped{now: time.Now()}
	w.Wake()
	w.Wake() // counted once
	w.Sleep(context.Background(), clock, time.Time{}, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	w.Sleep(ctx, clock, clock.now.Add(time.Hour), time.Hour)
	if ctx.Err() == nil {
		t.Fatal("the second wake-up was not counted once")
	}
}
