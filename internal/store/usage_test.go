package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/token"
)

// App Associations are written many rows a statement: counts add up over
// flushes, the last use is the latest, and the use of a token or app
// deleted before the flush is dropped, not written.
func TestRecordUsageAddsUpUsesAndDropsDeletedOnes(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s := openTest(t)
		app, err := s.CreateApp(ctx, "Lab", "process", nil, "test")
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for i := range 450 { // more than one statement's rows
			tok, err := s.CreateToken(ctx, token.Change{Provider: "redox", Name: fmt.Sprintf("T%d", i), Encrypted: true, Rate: token.Disabled}, "test")
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tok.ID)
		}
		t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		uses := func(n int64, at time.Time) Usage {
			u := Usage{Uses: map[TokenUseKey]TokenUse{}}
			for _, id := range ids {
				u.Uses[TokenUseKey{TokenID: id, AppID: 0}] = TokenUse{Count: n, Last: at}
				u.Uses[TokenUseKey{TokenID: id, AppID: app.ID}] = TokenUse{Count: n, Last: at}
			}
			u.Uses[TokenUseKey{TokenID: 999_999, AppID: 0}] = TokenUse{Count: 1, Last: at}      // no such token
			u.Uses[TokenUseKey{TokenID: ids[0], AppID: 999_999}] = TokenUse{Count: 1, Last: at} // no such app
			return u
		}
		if err := s.RecordUsage(ctx, uses(2, t0.Add(time.Minute))); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordUsage(ctx, uses(3, t0)); err != nil { // an older last use
			t.Fatal(err)
		}
		var rows, total int64
		if err := s.read.QueryRow("SELECT count(*), sum(count) FROM token_usage").Scan(&rows, &total); err != nil {
			t.Fatal(err)
		}
		if rows != 900 || total != 900*5 {
			t.Fatalf("token_usage: %d rows, %d fetches; want 900 and %d", rows, total, 900*5)
		}
		assoc, err := s.TokenAssociations(ctx, ids[449])
		if err != nil {
			t.Fatal(err)
		}
		if len(assoc) != 2 || assoc[0].Count != 5 || !assoc[0].Last.Equal(t0.Add(time.Minute)) {
			t.Fatalf("associations of the last token: %+v", assoc)
		}
	})
}
