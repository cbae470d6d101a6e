package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/secret"
	"github.com/tokendesk/tokendesk/internal/token"
)

// Two processes claiming due renewals at the same time never claim the
// same token: each due token is claimed exactly once.
func TestConcurrentClaimsTakeEachTokenOnce(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		url := testURL(t)
		box, err := secret.NewBox(make([]byte, 32))
		if err != nil {
			t.Fatal(err)
		}
		var replicas []*Store
		for range 2 {
			s, err := Open(ctx, url, box)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			replicas = append(replicas, s)
		}
		const due = 60
		for i := range due {
			if _, err := replicas[0].CreateToken(ctx, token.Change{Provider: "redox", Name: fmt.Sprintf("T%02d", i), Encrypted: true,
				Rate: "every_hour", Renewable: true, Set: map[string]string{"api_key": "k"}}, "test"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := replicas[0].write.ExecContext(ctx, "UPDATE tokens SET next_renewal_at = 1"); err != nil {
			t.Fatal(err)
		}

		now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
		var mu sync.Mutex
		claimed := map[int64][]string{}
		var wg sync.WaitGroup
		for r, s := range replicas {
			for w := range 3 {
				owner := fmt.Sprintf("replica%d/worker%d", r, w)
				wg.Go(func() {
					for {
						got, err := s.ClaimDue(ctx, owner, now, time.Minute, 4)
						if err != nil {
							t.Error(err)
							return
						}
						if len(got) == 0 {
							return
						}
						mu.Lock()
						for _, c := range got {
							claimed[c.ID] = append(claimed[c.ID], owner)
						}
						mu.Unlock()
					}
				})
			}
		}
		wg.Wait()
		if len(claimed) != due {
			t.Fatalf("%d of %d due tokens claimed", len(claimed), due)
		}
		for id, owners := range claimed {
			if len(owners) != 1 {
				t.Fatalf("token %d claimed by %v", id, owners)
			}
		}
	})
}

// Replicas started together on a new database with the same master key all
// start; one with another key is refused.
func TestReplicasStartingTogetherAgreeOnTheKey(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		url := testURL(t)
		box, err := secret.NewBox(make([]byte, 32))
		if err != nil {
			t.Fatal(err)
		}
		var replicas []*Store
		for range 4 {
			s, err := Open(ctx, url, box)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			replicas = append(replicas, s)
		}
		errs := make(chan error, len(replicas))
		for _, s := range replicas {
			go func() { errs <- s.VerifyMasterKey(ctx) }()
		}
		for range replicas {
			if err := <-errs; err != nil {
				t.Fatalf("a replica with the right key: %v", err)
			}
		}
		other, err := secret.NewBox(secret.GenerateKey())
		if err != nil {
			t.Fatal(err)
		}
		wrong, err := Open(ctx, url, other)
		if err != nil {
			t.Fatal(err)
		}
		defer wrong.Close()
		if err := wrong.VerifyMasterKey(ctx); !errors.Is(err, secret.ErrWrongKey) {
			t.Fatalf("a replica with another key: %v", err)
		}
	})
}
