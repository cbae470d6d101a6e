package store

import (
	"context"
	"testing"
	"time"
)

// The worker's routine renewals make one audit entry per token and UTC
// day, counting them; a person's Renew now stays an entry of its own.
func TestRoutineRenewalsAreCountedPerTokenAndDay(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s, now := clockedStore(t)
		*now = time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
		tok, grant := renewable(t, s)
		renew := func(ctx context.Context) {
			t.Helper()
			if _, err := s.write.Exec("UPDATE tokens SET next_renewal_at = ? WHERE id = ?", ms(*now), tok.ID); err != nil {
				t.Fatal(err)
			}
			claims, err := s.ClaimDue(ctx, "worker", *now, time.Minute, 10)
			if err != nil || len(claims) != 1 {
				t.Fatalf("claims %v %v", claims, err)
			}
			if err := s.SaveRenewal(ctx, claims[0], grant, *now); err != nil {
				t.Fatal(err)
			}
		}
		// 270 s apart, from 20:00 to the next day.
		for range 60 {
			renew(ctx)
			*now = now.Add(270 * time.Second)
		}
		renew(WithActor(ctx, "ada@example.com")) // Renew now
		entries, _, err := s.AuditLog(ctx, AuditQuery{Limit: 100, Filter: AuditFilter{Action: ActionTokenRenew}})
		if err != nil {
			t.Fatal(err)
		}
		var counts []int
		for _, a := range entries {
			counts = append(counts, a.Count)
			if a.Actor == RenewalActor && a.LastAt.IsZero() {
				t.Errorf("counted entry without its latest time: %+v", a)
			}
		}
		// Newest first: Ada's, the next day's 6 (00:03 to 00:25), the first day's 54.
		if len(entries) != 3 || entries[0].Actor != "ada@example.com" || counts[0] != 1 || counts[1] != 6 || counts[2] != 54 {
			t.Fatalf("renewal entries: %d, counts %v", len(entries), counts)
		}
		if want := time.Date(2026, 12, 6, 23, 58, 30, 0, time.UTC); !entries[2].LastAt.Equal(want) || !entries[2].At.Equal(time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)) {
			t.Fatalf("first day's entry from %v to %v", entries[2].At, entries[2].LastAt)
		}
	})
}
