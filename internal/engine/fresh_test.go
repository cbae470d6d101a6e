package engine

import (
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/token"
)

// A kept answer is handed out as it is exactly when the checks it stands
// for would all pass: usable at now (not within staleWithin of expiry),
// not refused by an app, its grant not dead.
func TestServableUntilIsTheChecksAFetchMade(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	hour := at.Add(time.Hour)
	tokens := map[string]token.Renewal{
		"expires in an hour":                {ExpiresAt: hour},
		"no expiry recorded, renewed now":   {LastRenewedAt: at},
		"never obtained":                    {},
		"refused by an app":                 {ExpiresAt: hour, Rejection: token.RejectedHash("x")},
		"grant refused":                     {ExpiresAt: hour, NeedsReconnect: true},
		"refresh token runs out first":      {ExpiresAt: hour, RefreshExpiresAt: at.Add(time.Minute)},
		"refresh token runs out after":      {ExpiresAt: hour, RefreshExpiresAt: hour.Add(time.Hour)},
		"refresh token ran out":             {ExpiresAt: hour, RefreshExpiresAt: at.Add(-time.Second)},
		"expired":                           {ExpiresAt: at.Add(-time.Minute)},
		"expires within the stale interval": {ExpiresAt: at.Add(staleWithin / 2)},
	}
	for name, r := range tokens {
		tok := token.Token{ID: 1, Renewal: r}
		until := servableUntil(tok)
		for _, now := range []time.Time{at.Add(-time.Hour), at, at.Add(59 * time.Second), at.Add(time.Minute), at.Add(time.Hour - staleWithin - time.Nanosecond), at.Add(time.Hour - staleWithin), hour, hour.Add(2 * time.Hour)} {
			checks := len(r.Rejection) == 0 && !r.MustReconnect(now) && usableAt(r.Expiry(), now)
			if kept := !until.IsZero() && now.Before(until); kept != checks {
				t.Errorf("%s at %v: served as kept %v, the checks say %v", name, now.Sub(at), kept, checks)
			}
		}
	}
}
