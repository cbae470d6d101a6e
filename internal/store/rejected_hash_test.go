package store

import (
	"context"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/token"
)

// Review finding 1, on both databases: a report keeps the hash of the
// refused token (another report within the gap updates the hash, not the
// time and client shown), and puts a change of the token in the change
// log, so every replica's index forgets the answer it kept. Finding 4: a
// claim carries when the refresh token runs out.
func TestRecordRejectionKeepsTheHashAndLogsAChange(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s := openTest(t)
		tok, err := s.CreateToken(ctx, token.Change{Provider: "redox", Name: "Feed", Encrypted: true,
			Rate: "every_hour", Renewable: true, Set: map[string]string{"api_key": "k"}}, "test")
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
		before, err := s.LatestChange(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RecordRejection(ctx, tok.ID, token.RejectedHash("at-1"), at, "Job", 30*time.Second); err != nil {
			t.Fatal(err)
		}
		got, _ := s.TokenByID(ctx, tok.ID)
		if !got.Rejected("at-1") || got.Rejected("at-2") {
			t.Fatalf("stored rejection %x", got.Rejection)
		}
		changes, err := s.ChangesSince(ctx, before, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != 1 || changes[0].TokenID != tok.ID || changes[0].Kind != ChangeValue {
			t.Fatalf("changes after a report: %+v", changes)
		}

		if err := s.RecordRejection(ctx, tok.ID, token.RejectedHash("at-2"), at.Add(10*time.Second), "Other", 30*time.Second); err != nil {
			t.Fatal(err)
		}
		got, _ = s.TokenByID(ctx, tok.ID)
		when, by, _ := s.Rejection(ctx, tok.ID)
		if !got.Rejected("at-2") || !when.Equal(at) || by != "Job" {
			t.Fatalf("a second report within the gap: rejected at-2 %v, shown %v by %q", got.Rejected("at-2"), when, by)
		}

		runsOut := at.Add(time.Hour)
		if _, err := s.write.ExecContext(ctx, "UPDATE tokens SET refresh_expires_at = ? WHERE id = ?", ms(runsOut), tok.ID); err != nil {
			t.Fatal(err)
		}
		c, err := s.ClaimOne(ctx, tok.ID, "w", at, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if !c.RefreshExpiresAt.Equal(runsOut) || c.MustReconnect(at) || !c.MustReconnect(runsOut) {
			t.Fatalf("claim: refresh runs out %v", c.RefreshExpiresAt)
		}
	})
}
