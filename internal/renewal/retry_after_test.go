package renewal

import (
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider/redox/redoxtest"
)

// Issue 13 item 2: whichever is longer wins, the backoff or the
// provider's Retry-After, failure after failure: a short Retry-After never
// brings a retry forward, and a long one is never cut short by the backoff.
func TestRetryAfterAndBackoffTheLongerWins(t *testing.T) {
	f := newFixture(t)
	id := f.addRedox("Lab Feed", "1h")
	f.runOnce()
	f.clock.Advance(time.Hour)
	f.redox.SetFault(redoxtest.Throttle)
	for i, tc := range []struct {
		retryAfter int
		want       time.Duration
	}{
		{300, 5 * time.Minute},   // backoff 30 s
		{10, time.Minute},        // backoff 1 min
		{1800, 30 * time.Minute}, // backoff 2 min
		{60, 4 * time.Minute},    // backoff 4 min (the fourth failure)
	} {
		f.redox.SetRetryAfter(tc.retryAfter)
		if n := f.runOnce(); n != 1 {
			t.Fatalf("failure %d: %d renewals", i+1, n)
		}
		got := f.token(id).Next.Sub(f.clock.Now())
		if got != tc.want {
			t.Fatalf("failure %d (Retry-After %d s): next try in %v, want %v", i+1, tc.retryAfter, got, tc.want)
		}
		f.clock.Advance(got - time.Second)
		if n := f.runOnce(); n != 0 {
			t.Fatalf("failure %d: retried a second early", i+1)
		}
		f.clock.Advance(time.Second)
	}
}
