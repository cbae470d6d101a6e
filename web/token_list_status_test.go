package web

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/token"
)

// The Status column sorts: trouble first (the Status filter's order), by
// name within a status, reversed on a second click, paged forward and back
// with every token once. Type and Status apply as soon as they change.
func TestTokenListSortsByStatus(t *testing.T) {
	ts := newTestServer(t)
	var off, renewed []string
	for i := range 130 {
		name, rate := fmt.Sprintf("Token %03d", i), "1h"
		if i%3 == 0 {
			rate = token.Disabled
			off = append(off, name)
		} else {
			renewed = append(renewed, name)
		}
		if _, err := ts.store.CreateToken(context.Background(), token.Change{Provider: "redox", Name: name, Encrypted: true, Rate: rate,
			Renewable: rate != token.Disabled, Set: map[string]string{"environment": "development", "api_key": "k", "secret": "s"}}, "test"); err != nil {
			t.Fatal(err)
		}
	}
	ts.renewDue() // the renewed ones get a token: two statuses
	ts.signInAdmin()
	list := ts.get("/tokens")
	for _, id := range []string{"type", "status"} {
		if _, ok := list.Doc.Find("select#" + id).Attr("data-apply-on-change"); !ok {
			t.Errorf("the %s filter does not apply on change", id)
		}
	}
	if !strings.Contains(ts.get(list.Doc.Find(`script[src*="app"]`).AttrOr("src", "")).Body, "data-apply-on-change") {
		t.Error("the script does not apply filters on change")
	}
	if list.Doc.Find("form[data-testid=token-search] button[type=submit]").Length() != 1 {
		t.Error("no button to apply the filters without JavaScript")
	}

	href, ok := list.Doc.Find("[data-testid=sort-status]").Attr("href")
	if !ok {
		t.Fatal("the Status column does not sort")
	}
	walk := func(first string) (names, statuses []string, last page) {
		p := ts.get(first)
		for {
			wantStatus(t, p, 200)
			p.Doc.Find("[data-testid=token-row]").Each(func(_ int, r *goquery.Selection) {
				names = append(names, r.Find("[data-testid=token-name]").Text())
				statuses = append(statuses, strings.TrimSpace(r.Find("[data-testid=token-status]").Text()))
			})
			next, ok := p.Doc.Find("[data-testid=next-page]").Attr("href")
			if !ok {
				return names, statuses, p
			}
			p = ts.get(next)
		}
	}
	// In statusOrder's order, by name within a status, each token once.
	inOrder := func(names, statuses []string, desc bool) {
		t.Helper()
		if len(names) != len(off)+len(renewed) || statuses[0] == statuses[len(statuses)-1] {
			t.Fatalf("%d tokens listed, statuses from %q to %q", len(names), statuses[0], statuses[len(statuses)-1])
		}
		for i := 1; i < len(names); i++ {
			a, b := slices.Index(statusOrder(), statuses[i-1]), slices.Index(statusOrder(), statuses[i])
			if a < 0 || b < 0 {
				t.Fatalf("status %q or %q is not in the order", statuses[i-1], statuses[i])
			}
			if desc {
				a, b = b, a
			}
			if a > b || (a == b && (names[i-1] > names[i]) != desc) {
				t.Fatalf("out of order at %d: %s (%s) then %s (%s)", i, names[i-1], statuses[i-1], names[i], statuses[i])
			}
		}
	}
	names, statuses, last := walk(href)
	inOrder(names, statuses, false)
	// Back from the last page: the page before it, exactly.
	prev, _ := last.Doc.Find("a[rel=prev]").Attr("href")
	back := ts.get(prev)
	if got := back.Doc.Find("[data-testid=token-row]").Length(); got != 100 || back.text("[data-testid=token-name]") != names[0] {
		t.Fatalf("previous page: %d rows from %q", got, back.text("[data-testid=token-name]"))
	}
	// The second click reverses it.
	rev, _ := ts.get(href).Doc.Find("[data-testid=sort-status]").Attr("href")
	names, statuses, _ = walk(rev)
	inOrder(names, statuses, true)
	// With a filter and a search, only what matches, still by status.
	names, _, _ = walk(href + "&q=oken+1")
	for _, n := range names {
		if !strings.Contains(n, "oken 1") {
			t.Fatalf("search sorted by status lists %q", n)
		}
	}
	if len(names) != 30 {
		t.Fatalf("search sorted by status: %d tokens", len(names))
	}
}
