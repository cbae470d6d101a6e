package store

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// Two administrators demoting (or deactivating) each other at the same
// moment leave one of them an active administrator, every time: the count
// that guards the last one is taken inside the change's transaction.
func TestConcurrentDemotionsKeepAnAdministrator(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s := openTest(t)
		a, err := s.CreateUser(ctx, "ada@example.com", "x", RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.CreateUser(ctx, "bob@example.com", "x", RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		for try := range 20 {
			// Even tries demote, odd ones deactivate.
			role, active := RoleDesigner, true
			if try%2 == 1 {
				role, active = RoleAdmin, false
			}
			start := make(chan struct{})
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i, pair := range [][2]User{{a, b}, {b, a}} {
				wg.Go(func() {
					<-start
					errs[i] = s.UpdateUser(ctx, pair[1].ID, role, active, pair[0].Email)
				})
			}
			close(start)
			wg.Wait()
			left := 0
			for _, u := range []User{a, b} {
				got, err := s.UserByID(ctx, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.IsAdmin() && got.Active {
					left++
				}
			}
			refused := 0
			for _, err := range errs {
				switch {
				case errors.Is(err, ErrLastAdmin):
					refused++
				case err != nil:
					t.Fatalf("try %d: %v", try, err)
				}
			}
			if left != 1 || refused != 1 {
				t.Fatalf("try %d: %d active administrators left, %d change(s) refused; want 1 and 1", try, left, refused)
			}
			// Both administrators again for the next try.
			for _, u := range []User{a, b} {
				if err := s.UpdateUser(ctx, u.ID, RoleAdmin, true, "test"); err != nil {
					t.Fatal(err)
				}
			}
		}
		// A designer's changes, and an administrator's while another
		// remains, are not refused.
		d, err := s.CreateUser(ctx, "dee@example.com", "x", RoleDesigner)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateUser(ctx, d.ID, RoleDesigner, false, "test"); err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateUser(ctx, a.ID, RoleDesigner, true, "test"); err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateUser(ctx, b.ID, RoleAdmin, false, "test"); !errors.Is(err, ErrLastAdmin) {
			t.Fatalf("deactivating the last administrator: %v", err)
		}
	})
}
