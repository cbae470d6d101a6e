package token

import (
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// A grant that came without a refresh token, and that nothing can renew,
// says when it ends (its access token's expiry): that end is recorded as
// a refresh token's would be, for the "Reconnect within N days" warning
// and the reconnect after it. A grant that says nothing keeps the stored
// end (Redox rotates its refresh tokens only sometimes).
func TestAfterGrantWithoutRefreshTokenRecordsItsEnd(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	end := now.Add(60 * 24 * time.Hour)
	got := AfterGrant(Renewal{}, Change{Grant: &provider.Grant{AccessToken: "a", ExpiresAt: end, RefreshExpiresAt: end}}, now)
	if want := (Granted{ExpiresAt: end, NewRefresh: true, RefreshExpiresAt: end}); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if got := AfterGrant(Renewal{}, Change{Grant: &provider.Grant{AccessToken: "a", ExpiresAt: end}}, now); got.NewRefresh {
		t.Fatalf("a grant saying nothing of its end replaced the stored one: %+v", got)
	}
	if s := Status("daily-midnight", Renewal{ExpiresAt: end, RefreshExpiresAt: end, LastRenewedAt: now}, end.Add(-13*24*time.Hour)); s != "Reconnect within 13 days" {
		t.Fatalf("status %q", s)
	}
}
