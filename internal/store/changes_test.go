package store

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/token"
)

// Every process reads the change log by id from where it left off, so a
// change must never commit behind one a reader has already passed. On
// SQLite the single writer guarantees it; on PostgreSQL, a second writer
// waits until the first commits.
func TestChangeLogIDsCommitInOrder(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s := openTest(t)
		// The second writer edits a token of its own: nothing but the
		// change log's order makes it wait for the first.
		second, err := s.CreateToken(ctx, token.Change{Provider: "redox", Name: "Second", Encrypted: true, Rate: token.Disabled}, "test")
		if err != nil {
			t.Fatal(err)
		}
		start, err := s.LatestChange(ctx)
		if err != nil {
			t.Fatal(err)
		}
		firstWrote, release, firstDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			firstDone <- s.tx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO tokens (provider, name, name_key, created_at, created_by, updated_at, updated_by)
					VALUES ('redox', 'First', 'first', 0, 'x', 0, 'x')`); err != nil {
					return err
				}
				close(firstWrote)
				<-release
				return nil
			})
		}()
		<-firstWrote
		secondDone := make(chan error, 1)
		go func() {
			_, _, err := s.UpdateToken(ctx, second.ID, second.Version, token.Change{Provider: "redox", Name: "Second", Description: "edited",
				Encrypted: true, Rate: token.Disabled}, "test")
			secondDone <- err
		}()
		if s.d == postgres {
			// Wait until the second writer is waiting for the first (or,
			// wrongly, done).
			for waiting := 0; waiting == 0; {
				select {
				case err := <-secondDone:
					t.Fatalf("a write committed while an earlier one was still open (%v): a reader could skip the earlier change", err)
				default:
				}
				if err := s.read.QueryRowContext(ctx, "SELECT count(*) FROM pg_locks WHERE NOT granted").Scan(&waiting); err != nil {
					t.Fatal(err)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		if got, err := s.ChangesSince(ctx, start, 100); err != nil || len(got) != 0 {
			t.Fatalf("changes visible before any commit: %v %v", got, err)
		}
		close(release)
		if err := <-firstDone; err != nil {
			t.Fatal(err)
		}
		if err := <-secondDone; err != nil {
			t.Fatal(err)
		}
		got, err := s.ChangesSince(ctx, start, 100)
		if err != nil {
			t.Fatal(err)
		}
		var firstID, secondID int64
		for _, c := range got {
			switch {
			case c.TokenID == second.ID && secondID == 0:
				secondID = c.ID
			case c.TokenID != second.ID && firstID == 0:
				firstID = c.ID
			}
		}
		if firstID == 0 || secondID == 0 || firstID > secondID {
			t.Fatalf("change ids: first %d, second %d (want both, first lower)", firstID, secondID)
		}
	})
}
