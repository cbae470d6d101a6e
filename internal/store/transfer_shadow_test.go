package store

import (
	"context"
	"strings"
	"testing"
	"time"
)

// GlobalsUsableBy finds, by name, the global tokens an app may use (its
// Permission Settings respected) with its own served fetches of each since
// a moment, and reads indexes only.
func TestGlobalsUsableBy(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	alpha, err := s.CreateApp(ctx, "Alpha", "process", nil, "ada")
	if err != nil {
		t.Fatal(err)
	}
	beta, err := s.CreateApp(ctx, "Beta", "process", nil, "ada")
	if err != nil {
		t.Fatal(err)
	}
	open, err := s.CreateToken(ctx, importChange("Lab Feed"), "ada")
	if err != nil {
		t.Fatal(err)
	}
	betaOnly, err := s.CreateToken(ctx, importChange("Beta Feed"), "ada")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetTokenPermissions(ctx, betaOnly.ID, Access{Restricted: true, Apps: []int64{beta.ID}}, "ada"); err != nil {
		t.Fatal(err)
	}
	ac, _, err := s.CreateClient(ctx, alpha.ID, "Alpha job", "ada")
	if err != nil {
		t.Fatal(err)
	}
	bc, _, err := s.CreateClient(ctx, beta.ID, "Beta job", "ada")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	minute := func(d time.Duration) int64 { return now.Add(-d).Unix() / 60 }
	if err := s.RecordUsage(ctx, Usage{Reads: map[ReadKey]int64{
		{Minute: minute(time.Hour), ClientID: ac.ID, TokenID: open.ID, Outcome: ReadOK}:          5,
		{Minute: minute(2 * time.Hour), ClientID: ac.ID, TokenID: open.ID, Outcome: ReadOK}:      2,
		{Minute: minute(time.Hour), ClientID: ac.ID, TokenID: open.ID, Outcome: "rate_limited"}:  9,  // not served
		{Minute: minute(8 * 24 * time.Hour), ClientID: ac.ID, TokenID: open.ID, Outcome: ReadOK}: 30, // too old
		{Minute: minute(time.Hour), ClientID: bc.ID, TokenID: open.ID, Outcome: ReadOK}:          4,  // Beta's
	}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GlobalsUsableBy(ctx, alpha.ID, []string{"LAB  feed", "Beta Feed", "Nothing"}, now.Add(-7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["lab feed"].Name != "Lab Feed" || got["lab feed"].Count != 7 {
		t.Fatalf("Alpha: %+v", got)
	}
	if got, _ := s.GlobalsUsableBy(ctx, beta.ID, []string{"Beta Feed", "Lab Feed"}, now.Add(-7*24*time.Hour)); len(got) != 2 || got["lab feed"].Count != 4 {
		t.Fatalf("Beta: %+v", got)
	}
	if got, _ := s.GlobalsUsableBy(ctx, 0, []string{"Lab Feed"}, now); len(got) != 0 {
		t.Fatalf("the global list shadows nothing: %+v", got)
	}

	if s.Dialect() != "sqlite" {
		return
	}
	p := plan(t, s, globalsUsableQuery(2), alpha.ID, 0, ReadOK, "a", "b")
	if strings.Contains(p+"; ", "SCAN t; ") || strings.Contains(p+"; ", "SCAN r; ") || !strings.Contains(p, "tokens_scope_name") {
		t.Fatalf("plan: %s", p)
	}
}
