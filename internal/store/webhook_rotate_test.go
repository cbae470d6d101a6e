package store

import (
	"context"
	"testing"
	"time"
)

// A rotated-out secret is handed to deliveries for SecretOverlap, then no
// more, on both databases.
func TestRotatedSecretSignsForADay(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s, now := clockedStore(t)
		id, err := s.CreateWebhook(ctx, "https://hooks.example.com/x", []string{EventTokenChanged}, "whsec_b2xk", "ada")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RotateWebhookSecret(ctx, id, "whsec_bmV3", "ada"); err != nil {
			t.Fatal(err)
		}
		h, err := s.WebhookByID(ctx, id)
		if err != nil || !h.PreviousUntil.Equal(now.Add(SecretOverlap)) {
			t.Fatalf("previous until %v, %v", h.PreviousUntil, err)
		}
		claim := func() Delivery {
			t.Helper()
			d, err := s.QueueTestEvent(ctx, id, "ada")
			if err != nil {
				t.Fatal(err)
			}
			c, err := s.ClaimDelivery(ctx, d, "owner", *now, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if c := claim(); c.Secret != "whsec_bmV3" || c.PreviousSecret != "whsec_b2xk" {
			t.Fatalf("during the day: %q and %q", c.Secret, c.PreviousSecret)
		}
		*now = now.Add(SecretOverlap)
		if c := claim(); c.Secret != "whsec_bmV3" || c.PreviousSecret != "" {
			t.Fatalf("after the day: previous %q", c.PreviousSecret)
		}
		if h, _ := s.WebhookByID(ctx, id); !h.PreviousUntil.IsZero() {
			t.Fatalf("after the day the page would still say until %v", h.PreviousUntil)
		}
	})
}
