package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/token"
)

// Expired, renewals Disabled is counted as the expired tokens not renewed
// less those in a status before it (expiredOffCount): the same number as
// its condition finds token by token, whatever else each token is in, on
// both databases.
func TestExpiredDisabledCountAgreesWithItsCondition(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s := openTest(t)
		now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
		past, soon := ms(now.Add(-time.Hour)), ms(now.Add(time.Hour))
		i := 0
		for _, rate := range []string{"disabled", "", "1h"} {
			for _, exp := range []any{nil, past, soon} {
				for _, flags := range []string{"", "needs_reconnect = 1", "refresh_expires_at = " + fmt.Sprint(past), "refresh_expires_at = " + fmt.Sprint(soon),
					"failures = 2", "needs_secret = 1", "failures = 1, needs_secret = 1, needs_reconnect = 1"} {
					for _, prov := range []string{"redox", "zoom"} {
						i++
						tok, err := s.CreateToken(ctx, token.Change{Provider: prov, Name: fmt.Sprintf("Token %03d", i), Rate: "1h"}, "test")
						if err != nil {
							t.Fatal(err)
						}
						set := "renewal_rate = ?, expires_at = ?"
						if flags != "" {
							set += ", " + flags
						}
						if _, err := s.write.ExecContext(ctx, "UPDATE tokens SET "+set+" WHERE id = ?", rate, exp, tok.ID); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
		}
		for _, retired := range [][]string{nil, {"zoom"}} {
			cond, args, _ := statusSQL(token.StatusExpiredDisabled, now)
			q := "SELECT count(*) FROM tokens WHERE ifnull(app_id, 0) = 0 AND " + cond
			if len(retired) > 0 {
				q += " AND provider <> 'zoom'"
			}
			var want int
			if err := s.read.QueryRowContext(ctx, q, args...).Scan(&want); err != nil {
				t.Fatal(err)
			}
			got, err := s.CountStatus(ctx, 0, token.StatusExpiredDisabled, now, retired...)
			if err != nil || got != want || want == 0 {
				t.Errorf("retired %q: CountStatus %d (%v), token by token %d", retired, got, err, want)
			}
		}
	})
}
