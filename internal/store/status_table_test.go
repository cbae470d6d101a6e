package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/token"
)

// Every token is in exactly one status, the same one whichever way it is
// asked: token.Status (the list's row and the token's page), the Status
// filter's SQL (and so sort by Status, which lists one filter at a time),
// the list's indexed counts (the banners) and CountByStatus (the
// tokendesk_tokens gauge). One fixture per status, and the edges between
// them.
func TestEveryTokenIsInExactlyOneStatusGroup(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s := openTest(t)
		now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { return now }
		const day = 24 * time.Hour
		retired := map[string]string{"zoom": "Retired by Zoom"}
		type fixture struct {
			name       string
			provider   string // "" redox
			rate       string // "" every_hour
			expires    time.Duration
			noExpiry   bool          // never connected
			next       time.Duration // 0: no renewal planned
			failures   int
			attention  bool
			reconnect  bool
			refresh    time.Duration // the refresh token's end, from now; 0: none
			refreshNow bool          // the refresh token ends now
			secret     bool
			want       string // the status group (a declared name, or the retirement)
		}
		fixtures := []fixture{
			{name: "healthy", expires: 2 * time.Hour, want: token.StatusHealthy},
			{name: "healthy, refresh token good for a month", expires: 2 * time.Hour, refresh: 30 * day, want: token.StatusHealthy},
			{name: "healthy, refresh token ends in 14 days and a minute", expires: 2 * time.Hour, refresh: 14*day + time.Minute, want: token.StatusHealthy},
			{name: "reconnect within 7 days", expires: 2 * time.Hour, refresh: 7 * day, want: token.StatusReconnectSoon},
			{name: "reconnect within 14 days", expires: 2 * time.Hour, refresh: 14 * day, want: token.StatusReconnectSoon},
			{name: "reconnect within 1 day, renewals Disabled", rate: token.Disabled, expires: 2 * time.Hour, refresh: time.Hour, want: token.StatusReconnectSoon},
			{name: "reconnect within 2 days, expiring soon", expires: 10 * time.Minute, refresh: 2 * day, want: token.StatusReconnectSoon},
			{name: "reconnect within 3 days, Disabled and failed once", rate: token.Disabled, failures: 1, expires: time.Hour, refresh: 3 * day, want: token.StatusReconnectSoon},
			{name: "expired, refresh token ending soon", expires: -time.Minute, refresh: 2 * day, want: token.StatusExpired},
			{name: "expired Disabled, refresh token ending soon", rate: token.Disabled, expires: -time.Minute, refresh: 2 * day, want: token.StatusExpiredDisabled},
			{name: "failing, refresh token ending soon", failures: 2, expires: time.Hour, refresh: 2 * day, want: token.StatusFailing},
			{name: "needs secret, refresh token ending soon", secret: true, expires: time.Hour, refresh: 2 * day, want: token.StatusNeedsSecret},
			{name: "never connected, refresh token ending soon", noExpiry: true, refresh: 2 * day, want: token.StatusNotConnected},
			{name: "needs reconnect", reconnect: true, expires: time.Hour, want: token.StatusNeedsReconnect},
			{name: "refresh token ran out", expires: time.Hour, refresh: -time.Minute, want: token.StatusNeedsReconnect},
			{name: "refresh token runs out this moment", expires: time.Hour, refreshNow: true, want: token.StatusNeedsReconnect},
			{name: "needs reconnect, failing and no secret", reconnect: true, failures: 3, attention: true, secret: true, want: token.StatusNeedsReconnect},
			{name: "needs attention", failures: 5, attention: true, expires: -time.Hour, want: token.StatusAttention},
			// Stopped, then a success ended the failures: not "Needs attention"
			// (the store only ever clears both together; the rule must not
			// depend on that).
			{name: "stopped once, failing no more", attention: true, expires: 2 * time.Hour, want: token.StatusHealthy},
			{name: "stopped once, Disabled", rate: token.Disabled, failures: 4, attention: true, expires: 2 * time.Hour, want: token.StatusNotRenewed},
			{name: "renewal failing", failures: 1, expires: 2 * time.Hour, want: token.StatusFailing},
			{name: "needs secret", secret: true, noExpiry: true, want: token.StatusNeedsSecret},
			{name: "needs secret, Disabled", rate: token.Disabled, secret: true, noExpiry: true, want: token.StatusNeedsSecret},
			{name: "not connected yet", noExpiry: true, want: token.StatusNotConnected},
			{name: "not connected yet, Disabled", rate: token.Disabled, noExpiry: true, want: token.StatusNotConnected},
			{name: "expired, renewals Disabled", rate: token.Disabled, expires: -time.Hour, want: token.StatusExpiredDisabled},
			{name: "expired", expires: -time.Hour, want: token.StatusExpired},
			{name: "expires soon", expires: 10 * time.Minute, want: token.StatusExpiresSoon},
			{name: "expires soon, renewal on schedule", expires: 4 * time.Minute, next: 3 * time.Minute, want: token.StatusHealthy},
			{name: "expires soon, renewal late", expires: 4 * time.Minute, next: -time.Minute, want: token.StatusExpiresSoon},
			{name: "not renewed", rate: token.Disabled, expires: 2 * time.Hour, want: token.StatusNotRenewed},
			{name: "retired", provider: "zoom", rate: token.Disabled, noExpiry: true, want: token.StatusRetired},
			{name: "retired, had a token", provider: "zoom", rate: token.Disabled, expires: 2 * time.Hour, want: token.StatusRetired},
			{name: "retired, failing, needs a secret", provider: "zoom", failures: 2, secret: true, expires: -time.Hour, want: token.StatusRetired},
		}
		// Every declared status has a fixture.
		for _, st := range token.Statuses {
			if !slices.ContainsFunc(fixtures, func(f fixture) bool { return f.want == st.Name }) {
				t.Errorf("no fixture in %q", st.Name)
			}
		}
		byID := map[int64]fixture{}
		for _, f := range fixtures {
			prov, rate := f.provider, f.rate
			if prov == "" {
				prov = "redox"
			}
			if rate == "" {
				rate = "every_hour"
			}
			tok, err := s.CreateToken(ctx, token.Change{Provider: prov, Name: f.name, Encrypted: true, Rate: rate, Renewable: true,
				Set: map[string]string{"api_key": "k", "secret": "s"}}, "test")
			if err != nil {
				t.Fatal(err)
			}
			at := func(d time.Duration, set bool) sql.NullInt64 {
				if !set {
					return sql.NullInt64{}
				}
				return nullMS(now.Add(d))
			}
			var attention sql.NullInt64
			if f.attention {
				attention = nullMS(now.Add(-day))
			}
			if _, err := s.write.ExecContext(ctx, `UPDATE tokens SET expires_at = ?, next_renewal_at = ?, failures = ?, attention_since = ?,
				needs_reconnect = ?, refresh_expires_at = ?, needs_secret = ? WHERE id = ?`,
				at(f.expires, !f.noExpiry), at(f.next, f.next != 0), f.failures, attention,
				f.reconnect, at(f.refresh, f.refresh != 0 || f.refreshNow), f.secret, tok.ID); err != nil {
				t.Fatal(err)
			}
			byID[tok.ID] = f
		}

		// token.Status, as the list and the token's page show it.
		expect := map[string]int{}
		for id, f := range byID {
			tok, err := s.TokenByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			shown := token.Status(tok.Rate, tok.Renewal, now)
			if r, ok := retired[tok.Provider]; ok {
				shown = r
			}
			group := shown
			if def, ok := token.StatusByName(shown); ok {
				group = def.Name
			}
			if group != f.want {
				t.Errorf("%s: token.Status says %q (%q), want %q", f.name, shown, group, f.want)
			}
			expect[group]++
		}

		// The Status filter's SQL, one filter at a time (as sort by Status
		// reads them), the retired provider's tokens apart (web's statusFilter).
		retiredIDs := []string{"zoom"}
		groups := map[int64][]string{}
		for _, st := range token.Statuses {
			listed, _, err := s.ListTokens(ctx, TokenFilter{Status: st.Name, Retired: retiredIDs, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			for _, tok := range listed {
				groups[tok.ID] = append(groups[tok.ID], st.Name)
			}
			// Also a page at a time from the narrowing index, as a big list is.
			paged, _, err := s.ListTokens(ctx, TokenFilter{Status: st.Name, Retired: retiredIDs, Now: now, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if want := min(len(listed), 1); len(paged) != want {
				t.Errorf("%q, one page: %d tokens, want %d", st.Name, len(paged), want)
			}
			// The list's count of it (the banners), where it has one.
			if _, countable := countStatusSQL(0, st.Name, now, retiredIDs); countable {
				if n, err := s.CountStatus(ctx, 0, st.Name, now, retiredIDs...); err != nil || n != expect[st.Name] {
					t.Errorf("CountStatus(%q) = %d %v, token by token %d", st.Name, n, err, expect[st.Name])
				}
			}
		}
		for id, f := range byID {
			if g := groups[id]; len(g) != 1 || g[0] != f.want {
				t.Errorf("%s: in the status groups %q, want just %q", f.name, g, f.want)
			}
		}

		// CountByStatus, which the tokendesk_tokens gauge reports.
		got, err := s.CountByStatus(ctx, now, retired)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(expect) {
			t.Errorf("CountByStatus: %v\ntoken by token: %v", got, expect)
		}
	})
}
