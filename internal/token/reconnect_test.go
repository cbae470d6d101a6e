package token

import (
	"testing"
	"time"
)

// Review finding 4: a grant refused for good and a refresh token whose
// lifetime has run out both need a reconnect, and Status says so from the
// same predicate the runtime API and the worker use.
func TestMustReconnect(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    Renewal
		want bool
	}{
		{"healthy", Renewal{ExpiresAt: t0.Add(time.Hour)}, false},
		{"refused for good", Renewal{ExpiresAt: t0.Add(time.Hour), NeedsReconnect: true}, true},
		{"refresh token ran out", Renewal{ExpiresAt: t0.Add(time.Hour), RefreshExpiresAt: t0}, true},
		{"refresh token runs out later", Renewal{ExpiresAt: t0.Add(time.Hour), RefreshExpiresAt: t0.Add(time.Second)}, false},
	} {
		if got := tc.r.MustReconnect(t0); got != tc.want {
			t.Errorf("%s: MustReconnect %v, want %v", tc.name, got, tc.want)
		}
		if got := Status("1h", tc.r, t0) == StatusNeedsReconnect; got != tc.want {
			t.Errorf("%s: Status %q", tc.name, Status("1h", tc.r, t0))
		}
	}
}

// Review finding 7(a): Status reads a missing expiry as the runtime API
// does (Renewal.Expiry: AssumedLifetime after the last renewal).
func TestStatusReadsAMissingExpiryAsTheAPIDoes(t *testing.T) {
	fresh := Renewal{LastRenewedAt: t0.Add(-10 * time.Minute)}
	old := Renewal{LastRenewedAt: t0.Add(-AssumedLifetime - time.Minute)}
	if got := Status("1h", fresh, t0); got != StatusHealthy {
		t.Errorf("obtained 10 minutes ago, no expiry: %q", got)
	}
	if got := Status(Disabled, old, t0); got != StatusExpiredDisabled {
		t.Errorf("obtained over an hour ago, no expiry, Disabled: %q", got)
	}
}

// Review finding 1: what is stored of a refused token is its hash, and
// only that very token compares equal.
func TestRejected(t *testing.T) {
	r := Renewal{Rejection: RejectedHash("at-1")}
	if !r.Rejected("at-1") || r.Rejected("at-2") || r.Rejected("") || (Renewal{}).Rejected("at-1") {
		t.Fatal("Rejected compares wrongly")
	}
	if len(r.Rejection) != 32 {
		t.Fatalf("%d bytes", len(r.Rejection))
	}
}
