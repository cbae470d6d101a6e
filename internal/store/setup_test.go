package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/tokendesk/tokendesk/internal/secret"
)

// Setups racing on two handles of one database (two replicas) create
// exactly one administrator, whatever emails they chose.
func TestFirstAdministratorIsCreatedOnce(t *testing.T) {
	onBoth(t, testFirstAdministratorIsCreatedOnce)
}

func testFirstAdministratorIsCreatedOnce(t *testing.T) {
	box, err := secret.NewBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	url := testURL(t)
	var handles [2]*Store
	for i := range handles {
		if handles[i], err = Open(context.Background(), url, box); err != nil {
			t.Fatal(err)
		}
		defer handles[i].Close()
	}
	const n = 12
	results := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, results[i] = handles[i%2].CreateFirstAdmin(t.Context(), fmt.Sprintf("admin%d@example.com", i), "hash")
		})
	}
	wg.Wait()
	created := 0
	for _, err := range results {
		switch {
		case err == nil:
			created++
		case errors.Is(err, ErrSetupDone):
		default:
			t.Fatal(err)
		}
	}
	users, err := handles[0].ListUsers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if created != 1 || len(users) != 1 || users[0].Role != RoleAdmin {
		t.Fatalf("%d setups succeeded, %d users: want exactly one administrator", created, len(users))
	}
	// Setup stays closed while any user exists.
	if _, err := handles[1].CreateFirstAdmin(t.Context(), "late@example.com", "hash"); !errors.Is(err, ErrSetupDone) {
		t.Fatalf("a later setup: %v, want ErrSetupDone", err)
	}
}
