package token

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// ExpiryMargin: a token this close to expiring is renewed whatever its rate.
// Tokens that live less than five margins are renewed at LifetimeShare of
// their life instead: a 300-second Redox token is renewed after 270 s, not
// the moment it arrives.
const ExpiryMargin = 5 * time.Minute

// LifetimeShare is how much of a short-lived token's life is used before it
// is renewed.
const LifetimeShare = 0.9

// MinRenewalGap is the least time between two renewals of one token, so
// that a provider handing out tokens that are already (or almost) expired
// is not asked again in a loop.
const MinRenewalGap = 10 * time.Second

// ExpiresSoon is when the list starts warning about an expiry.
const ExpiresSoon = 15 * time.Minute

// Backoff after failed renewals starts here and doubles up to the rate.
const BackoffStart = 30 * time.Second

// NextRenewal says when a token is next due: its last renewal (or the
// moment it got its token) plus its rate, or earlier when its token would
// otherwise expire (see RenewBefore). Zero means never (Disabled, or
// nothing to renew). A renewable token that never got a token is due at
// once.
func NextRenewal(rateKey string, renewable bool, lastRenewed, expires, now time.Time) time.Time {
	r, ok := RateByKey(rateKey)
	if !ok || r.Key == Disabled || !renewable {
		return time.Time{}
	}
	if lastRenewed.IsZero() {
		return now
	}
	next := r.Next(lastRenewed)
	if !expires.IsZero() {
		if early := RenewBefore(lastRenewed, expires); early.Before(next) {
			next = early
		}
	}
	return next
}

// RenewBefore is when a token obtained at got and expiring at expires
// should be replaced: ExpiryMargin before expiry for long-lived tokens,
// after LifetimeShare of their life for short-lived ones, and never sooner
// than MinRenewalGap after got.
func RenewBefore(got, expires time.Time) time.Time {
	life := expires.Sub(got)
	margin := ExpiryMargin
	if life < 5*ExpiryMargin {
		margin = time.Duration(float64(max(life, 0)) * (1 - LifetimeShare))
	}
	at := expires.Add(-margin)
	if floor := got.Add(MinRenewalGap); at.Before(floor) {
		at = floor
	}
	return at
}

// Backoff is how long to wait after the n-th consecutive failure:
// 30 s doubling, capped at the rate's interval, with ±20 % jitter so that
// tokens failing together do not retry together.
func Backoff(rateKey string, failures int, jitter func() float64) time.Duration {
	if jitter == nil {
		jitter = rand.Float64
	}
	limit := time.Hour
	if r, ok := RateByKey(rateKey); ok && r.Interval() > 0 {
		limit = r.Interval()
	}
	d := BackoffStart
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return time.Duration(float64(d) * (0.8 + 0.4*jitter()))
}

// Statuses shown in the list and counted in metrics.
const (
	StatusHealthy     = "Healthy"
	StatusExpiresSoon = "Expires soon"
	StatusFailing     = "Renewal failing"
	StatusExpired     = "Expired"
	// StatusExpiredDisabled: expired, and its Renewal Rate is Disabled, so
	// nothing renews it: apps cannot use it until a person acts.
	StatusExpiredDisabled = "Expired, renewals Disabled"
	// StatusNeedsSecret: imported without a secret it needs; nothing can
	// obtain a token for it until a person enters the secret.
	StatusNeedsSecret = "Needs secret"
	// StatusNotConnected: the token never held an access token (nothing
	// obtained yet, or a key pair waiting to be registered).
	StatusNotConnected = "Not connected yet"
	StatusNotRenewed   = "Not renewed"
	// StatusNeedsReconnect: the service refused the grant for good; a
	// person must consent again (Reconnect).
	StatusNeedsReconnect = "Needs reconnect"
	// StatusAttention: renewals failed for days and were stopped (failing
	// still: a success ends it).
	StatusAttention = "Needs attention"
)

// RefreshWarning is how long before its refresh token runs out a token
// starts saying "Reconnect within N days".
const RefreshWarning = 14 * 24 * time.Hour

// ReconnectWithin is the status of a token whose refresh token runs out at
// end, from RefreshWarning before it: "Reconnect within N days" (whole
// days, rounded up); "" when that is further off or unknown.
func ReconnectWithin(end, now time.Time) string {
	left := end.Sub(now)
	if end.IsZero() || left > RefreshWarning {
		return ""
	}
	if left <= 0 {
		return StatusNeedsReconnect
	}
	days := int((left + 24*time.Hour - 1) / (24 * time.Hour))
	if days == 1 {
		return "Reconnect within 1 day"
	}
	return fmt.Sprintf("Reconnect within %d days", days)
}

// StatusOf is Status, except that the tokens of a provider the vendor
// retired say so ("Retired by Zoom") rather than "Not renewed".
func StatusOf(p provider.Provider, rateKey string, r Renewal, now time.Time) string {
	if p.Retired != "" {
		return p.Retired
	}
	return Status(rateKey, r, now)
}

// RenewalPlanned reports whether a renewal is scheduled before the token
// expires and is not late yet: a 5-minute token renewed at 90 % of its
// life is never "about to expire", it is on schedule.
func (r Renewal) RenewalPlanned(now time.Time) bool {
	return !r.NextRenewalAt.IsZero() && r.NextRenewalAt.Before(r.ExpiresAt) && now.Before(r.NextRenewalAt)
}

// Status sums up a token's renewal state for a person.
func Status(rateKey string, r Renewal, now time.Time) string {
	// Expiry, as the runtime API reads it: a token stored without an
	// expiry is taken to live AssumedLifetime (review finding 7a).
	r.ExpiresAt = r.Expiry()
	expired := !r.ExpiresAt.IsZero() && !now.Before(r.ExpiresAt)
	reconnect := ReconnectWithin(r.RefreshExpiresAt, now)
	off := rateKey == Disabled || rateKey == ""
	switch {
	case r.MustReconnect(now):
		return StatusNeedsReconnect
	case r.Failures > 0 && !r.AttentionSince.IsZero() && rateKey != Disabled:
		// Renewal stopped after failing for days. A success ends both the
		// failures and the stop; the store counts and filters this from
		// its index of failing tokens (failures > 0), so the same holds here.
		return StatusAttention
	case r.Failures > 0 && rateKey != Disabled:
		return StatusFailing
	case r.NeedsSecret:
		return StatusNeedsSecret
	case r.ExpiresAt.IsZero():
		// Every stored access token has an expiry (AssumedLifetime when
		// its service gave none): none means none was ever obtained.
		return StatusNotConnected
	case expired && off:
		return StatusExpiredDisabled
	case expired:
		return StatusExpired
	case reconnect != "":
		return reconnect
	case off:
		return StatusNotRenewed
	case !r.ExpiresAt.IsZero() && r.ExpiresAt.Sub(now) < ExpiresSoon && !r.RenewalPlanned(now):
		return StatusExpiresSoon
	}
	return StatusHealthy
}
