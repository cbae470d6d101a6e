package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/token"
)

// The list's banner counts are counted once and then answered from memory
// while nothing changes (the list views them on every page); every write
// of a column a status is decided from, and every instant the clock makes
// a token's status turn, makes the next view count again, so the counts
// are always CountStatus's at that now, on both databases.
func TestStatusCountsAreKeptUntilAWriteOrTheClockTurnsAStatus(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s := openTest(t)
		now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
		statuses := append([]string{token.StatusFailing, token.StatusAttention, token.StatusReconnectSoon}, token.UnusableStatuses()...)
		retired := []string{"zoom"}
		ids := map[string]int64{}
		for _, name := range []string{"Calm", "Soon", "Off", "Refresh", "Plan", "Old"} {
			tok, err := s.CreateToken(ctx, token.Change{Provider: "redox", Name: name, Rate: "1h"}, "test")
			if err != nil {
				t.Fatal(err)
			}
			ids[name] = tok.ID
		}
		set := func(name, cols string, args ...any) {
			t.Helper()
			if _, err := s.write.ExecContext(ctx, "UPDATE tokens SET "+cols+" WHERE id = ?", append(args, ids[name])...); err != nil {
				t.Fatal(err)
			}
		}
		at := func(d time.Duration) int64 { return ms(now.Add(d)) }
		set("Calm", "expires_at = ?", at(48*time.Hour))
		// Expires in an hour, renewals off: Expired, renewals Disabled then.
		set("Off", "renewal_rate = 'disabled', expires_at = ?", at(time.Hour))
		// Its refresh token runs out in 20 days: Reconnect soon in 6.
		set("Refresh", "expires_at = ?, refresh_expires_at = ?", at(30*24*time.Hour), at(20*24*time.Hour))
		set("Soon", "expires_at = ?", at(3*time.Hour))
		set("Plan", "expires_at = ?, next_renewal_at = ?", at(5*time.Hour), at(2*time.Hour))
		set("Old", "expires_at = ?", at(-time.Hour))

		check := func(when time.Time, recount bool) {
			t.Helper()
			before := s.statusCounts.recounts
			got, err := s.StatusCounts(ctx, 0, statuses, when, retired...)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int{}
			for _, st := range statuses {
				if want[st], err = s.CountStatus(ctx, 0, st, when, retired...); err != nil {
					t.Fatal(err)
				}
			}
			if !maps.Equal(got, want) {
				t.Errorf("at %v: kept counts %v, counted %v", when.Sub(now), got, want)
			}
			if counted := s.statusCounts.recounts > before; counted != recount {
				t.Errorf("at %v: counted again %v, want %v", when.Sub(now), counted, recount)
			}
		}
		check(now, true)
		check(now, false)
		// (Off comes within ExpiresSoon of its expiry at 45 minutes: its
		// status stays, but the counts end there too.)
		check(now.Add(44*time.Minute), false)
		// Off expires: Expired, renewals Disabled counts it from then on.
		check(now.Add(time.Hour), true)
		check(now.Add(time.Hour+time.Minute), false)
		// The clock set back: counted again.
		check(now, true)
		// Each write of what a status is decided from.
		for i, w := range []struct{ name, cols string }{
			{"Calm", "failures = 3"},
			{"Calm", "attention_since = 5"},
			{"Calm", "failures = 0, attention_since = NULL"},
			{"Soon", "needs_secret = 1"},
			{"Soon", "needs_reconnect = 1"},
			{"Calm", "renewal_rate = 'disabled'"},
			{"Plan", "next_renewal_at = " + fmt.Sprint(at(90*time.Minute))},
			{"Refresh", "refresh_expires_at = " + fmt.Sprint(at(-time.Minute))},
			{"Soon", "expires_at = NULL"},
			{"Old", "provider = 'zoom'"},
		} {
			set(w.name, w.cols)
			check(now, true)
			check(now, false)
			if t.Failed() {
				t.Fatalf("after write %d (%s: %s)", i, w.name, strings.TrimSpace(w.cols))
			}
		}
		// A token deleted and one created.
		if _, err := s.DeleteTokens(ctx, 0, []int64{ids["Old"]}, "test"); err != nil {
			t.Fatal(err)
		}
		check(now, true)
		if _, err := s.CreateToken(ctx, token.Change{Provider: "redox", Name: "New", Rate: "1h"}, "test"); err != nil {
			t.Fatal(err)
		}
		check(now, true)
		check(now, false)
		// The refresh token's warning: 14 days before it runs out.
		set("Refresh", "refresh_expires_at = ?", at(20*24*time.Hour))
		check(now, true)
		check(now.Add(6*24*time.Hour-time.Minute), true) // Off, Plan and Calm turned meanwhile
		check(now.Add(6*24*time.Hour-time.Second), false)
		check(now.Add(6*24*time.Hour), true)
		// Another scope is counted apart.
		app, err := s.CreateApp(ctx, "Other", "process", nil, "test")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.StatusCounts(ctx, app.ID, statuses, now, retired...); err != nil || got[token.StatusNotConnected] != 0 {
			t.Errorf("another app's counts: %v, %v", got, err)
		}
	})
}

// The instant the kept counts end is found from index entries, never by
// reading every token.
func TestStatusTurnsQueryUsesIndexes(t *testing.T) {
	s := openTest(t)
	q, args := statusTurnsSQL(3, time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	p := plan(t, s, q, args...)
	for _, index := range []string{"tokens_scope_expires", "tokens_next_renewal", "tokens_scope_refresh"} {
		if !strings.Contains(p, index) {
			t.Errorf("plan does not read %s: %s", index, p)
		}
	}
	if scansTable(strings.ReplaceAll(p, "SCAN CONSTANT ROW", "")) || strings.Contains(p, "TEMP B-TREE") {
		t.Errorf("plan: %s", p)
	}
}

// A Status filter's list sizes its range (chooseNarrowing) once per count
// window: the next view at a later now reads the page without counting
// again, and shows the same tokens; a write or a token expiring by the
// clock makes it count again.
func TestListSizingOfAStatusIsKeptWithinTheWindow(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s := openTest(t)
		now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
		for i := range 30 {
			tok, err := s.CreateToken(ctx, token.Change{Provider: "redox", Name: fmt.Sprintf("Token %02d", i), Rate: "1h"}, "test")
			if err != nil {
				t.Fatal(err)
			}
			// Ten expired an hour ago, the others expire in 1 to 20 hours.
			exp := now.Add(time.Duration(i-9) * time.Hour)
			if _, err := s.write.ExecContext(ctx, "UPDATE tokens SET expires_at = ? WHERE id = ?", ms(exp), tok.ID); err != nil {
				t.Fatal(err)
			}
		}
		list := func(when time.Time, recount bool) []string {
			t.Helper()
			before := s.statusCounts.recounts
			toks, _, err := s.ListTokens(ctx, TokenFilter{Status: token.StatusExpired, Now: when, Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			if counted := s.statusCounts.recounts > before; counted != recount {
				t.Errorf("at %v: sized again %v, want %v", when.Sub(now), counted, recount)
			}
			var names []string
			for _, tk := range toks {
				names = append(names, tk.Name)
			}
			return names
		}
		first := list(now, true)
		if got := list(now.Add(30*time.Minute), false); !slices.Equal(got, first) || len(first) != 5 {
			t.Errorf("kept sizing lists %v, counted %v", got, first)
		}
		list(now.Add(time.Hour), true) // Token 10 expires
		if _, err := s.write.ExecContext(ctx, "UPDATE tokens SET failures = 1 WHERE name = 'Token 00'"); err != nil {
			t.Fatal(err)
		}
		if got := list(now.Add(time.Hour), true); slices.Contains(got, "Token 00") {
			t.Errorf("a failing token listed as Expired: %v", got)
		}
	})
}
