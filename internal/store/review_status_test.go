package store

import (
	"context"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/token"
)

// Review: a token whose refresh token runs out within 14 days shows
// "Reconnect within N days"; which Status filter (and so which group of
// sort by Status) lists it?
func TestReviewReconnectWithinInNoStatus(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	tok, err := s.CreateToken(ctx, token.Change{Provider: "oauth2", Name: "Soon gone", Encrypted: true, Rate: "1h", Renewable: true,
		Set: map[string]string{"access_token": "a"}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := s.write.ExecContext(ctx, "UPDATE tokens SET expires_at = ?, next_renewal_at = ?, refresh_expires_at = ?, failures = 0 WHERE id = ?",
		ms(now.Add(50*time.Minute)), ms(now.Add(40*time.Minute)), ms(now.Add(7*24*time.Hour)), tok.ID); err != nil {
		t.Fatal(err)
	}
	tok, _ = s.TokenByID(ctx, tok.ID)
	t.Logf("token.Status: %q", token.Status(tok.Rate, tok.Renewal, now))
	found := 0
	for _, st := range token.StatusNames() {
		got, _, err := s.ListTokens(ctx, TokenFilter{Status: st, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > 0 {
			found++
			t.Logf("listed under %q", st)
		}
	}
	all, _, _ := s.ListTokens(ctx, TokenFilter{Now: now})
	t.Logf("unfiltered list: %d token(s); listed under %d status filter(s)", len(all), found)
	if found == 0 {
		t.Errorf("the token is in no Status filter, so sort by Status (one filter per status) never lists it")
	}
}
