package token

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC) // a Sunday

func TestNextRenewalForEveryRate(t *testing.T) {
	want := map[string]time.Time{
		"disabled":           {},
		"15m":                t0.Add(15 * time.Minute),
		"30m":                t0.Add(30 * time.Minute),
		"1h":                 t0.Add(time.Hour),
		"2h":                 t0.Add(2 * time.Hour),
		"4h":                 t0.Add(4 * time.Hour),
		"6h":                 t0.Add(6 * time.Hour),
		"8h":                 t0.Add(8 * time.Hour),
		"12h":                t0.Add(12 * time.Hour),
		"daily-midnight":     time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC),
		"daily-noon":         time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC),
		"other-day-midnight": time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC),
		"sunday-midnight":    time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC),
	}
	if len(want) != len(Rates) {
		t.Fatalf("%d rates tested, %d exist", len(want), len(Rates))
	}
	for _, r := range Rates {
		got := NextRenewal(r.Key, true, t0, time.Time{}, t0)
		if !got.Equal(want[r.Key]) {
			t.Errorf("%s (%s): next %v, want %v", r.Key, r.Label, got, want[r.Key])
		}
	}
}

func TestNextRenewalRules(t *testing.T) {
	for _, tc := range []struct {
		name         string
		rate         string
		renewable    bool
		last, expiry time.Time
		want         time.Time
	}{
		{"never renewed: due now", "1h", true, time.Time{}, time.Time{}, t0},
		{"nothing to renew", "1h", false, t0, time.Time{}, time.Time{}},
		{"expiry first: 5 min before it", "1h", true, t0, t0.Add(40 * time.Minute), t0.Add(35 * time.Minute)},
		{"expiry later than the rate", "1h", true, t0, t0.Add(24 * time.Hour), t0.Add(time.Hour)},
		{"disabled ignores expiry", "disabled", true, t0, t0.Add(4 * time.Minute), time.Time{}},
		{"unknown rate", "5m", true, t0, time.Time{}, time.Time{}},
		{"5-minute token: after 270 s", "15m", true, t0, t0.Add(5 * time.Minute), t0.Add(270 * time.Second)},
		{"60-second token: after 54 s, not at once", "15m", true, t0, t0.Add(time.Minute), t0.Add(54 * time.Second)},
		{"token already expired when obtained: not in a loop", "15m", true, t0, t0.Add(-time.Minute), t0.Add(MinRenewalGap)},
		{"2-second token: not in a loop", "15m", true, t0, t0.Add(2 * time.Second), t0.Add(MinRenewalGap)},
	} {
		if got := NextRenewal(tc.rate, tc.renewable, tc.last, tc.expiry, t0); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	mid := func() float64 { return 0.5 } // no jitter
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 15 * time.Minute, 15 * time.Minute}
	for i, w := range want {
		if got := Backoff("15m", i+1, mid); got != w {
			t.Errorf("failure %d: %v, want %v", i+1, got, w)
		}
	}
	if got := Backoff("1h", 20, mid); got != time.Hour {
		t.Errorf("cap at the hourly rate: %v", got)
	}
	lo, hi := Backoff("1h", 1, func() float64 { return 0 }), Backoff("1h", 1, func() float64 { return 1 })
	if lo != 24*time.Second || hi != 36*time.Second {
		t.Errorf("jitter range %v..%v, want 24s..36s", lo, hi)
	}
}

func TestStatus(t *testing.T) {
	for _, tc := range []struct {
		rate string
		r    Renewal
		want string
	}{
		{"1h", Renewal{ExpiresAt: t0.Add(time.Hour)}, StatusHealthy},
		{"1h", Renewal{ExpiresAt: t0.Add(10 * time.Minute)}, StatusExpiresSoon},
		{"1h", Renewal{ExpiresAt: t0.Add(time.Hour), Failures: 2}, StatusFailing},
		{"1h", Renewal{ExpiresAt: t0}, StatusExpired},
		{"disabled", Renewal{ExpiresAt: t0.Add(time.Hour)}, StatusNotRenewed},
		{"disabled", Renewal{ExpiresAt: t0.Add(-time.Hour)}, StatusExpiredDisabled},
		// No access token was ever obtained (every stored one has an expiry).
		{"1h", Renewal{}, StatusNotConnected},
		{"disabled", Renewal{}, StatusNotConnected},
		{"1h", Renewal{Failures: 1}, StatusFailing},
		// Renewal stopped after days of failures; once nothing fails any
		// more it is not "Needs attention" (the store's SQL agrees: review 7b).
		{"1h", Renewal{ExpiresAt: t0.Add(time.Hour), Failures: 9, AttentionSince: t0.Add(-time.Hour)}, StatusAttention},
		{"1h", Renewal{ExpiresAt: t0.Add(time.Hour), AttentionSince: t0.Add(-time.Hour)}, StatusHealthy},
		// A refresh token running out soon: shown with its days, one status.
		{"1h", Renewal{ExpiresAt: t0.Add(time.Hour), RefreshExpiresAt: t0.Add(50 * time.Hour)}, "Reconnect within 3 days"},
	} {
		if got := Status(tc.rate, tc.r, t0); got != tc.want {
			t.Errorf("%s %+v: %q, want %q", tc.rate, tc.r, got, tc.want)
		}
		if def, ok := StatusByName(tc.want); !ok || def.Name == "" {
			t.Errorf("%q is no declared status", tc.want)
		}
	}
}
