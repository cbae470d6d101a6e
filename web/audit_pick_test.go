package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/store"
)

// Who and Token take part of a name, any case: one match filters by it,
// several are offered to choose from, none filters by what was typed.
func TestAuditFiltersTakePartOfAName(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ada.lovelace@example.com", "ada long password", store.RoleAdmin)
	ts.addUser("adam@example.com", "adam long password", store.RoleDesigner)
	createTestToken(t, ts, "Lab Feed")
	createTestToken(t, ts, "Billing Feed")
	createTestToken(t, ts, "Zoom Main")
	ts.signInAdmin()

	// One token name contains "zoom m": its entries, and the page says whose.
	p := ts.get("/audit?token=" + url.QueryEscape("ZOOM M"))
	wantStatus(t, p, 200)
	if got := p.text("[data-testid=taken-token]"); !strings.Contains(got, "Zoom Main") {
		t.Fatalf("taken: %q", got)
	}
	subjects := p.Doc.Find("[data-testid=audit-subject]")
	if subjects.Length() == 0 || !strings.HasPrefix(strings.TrimSpace(subjects.First().Text()), "Zoom Main") {
		t.Fatalf("entries about %q", subjects.Text())
	}
	// Two contain "feed": choose one, through a link that filters by it.
	p = ts.get("/audit?token=feed")
	links := p.Doc.Find("[data-testid=pick-token] [data-testid=pick]")
	if links.Length() != 2 || links.First().Text() != "Billing Feed" || p.Doc.Find("[data-testid=audit-row]").Length() != 0 {
		t.Fatalf("picks %q, %d rows", links.Text(), p.Doc.Find("[data-testid=audit-row]").Length())
	}
	href, _ := links.Last().Attr("href")
	p = ts.get(href)
	if got := strings.TrimSpace(p.Doc.Find("[data-testid=audit-subject]").First().Text()); !strings.HasPrefix(got, "Lab Feed") || p.Doc.Find("[data-testid=pick-token]").Length() != 0 {
		t.Fatalf("after picking: %q", got)
	}
	// People: "ADA" is part of three addresses (ada@, ada.lovelace@, adam@); "lovelace" of one.
	p = ts.get("/audit?who=ADA")
	if n := p.Doc.Find("[data-testid=pick-who] [data-testid=pick]").Length(); n != 3 {
		t.Fatalf("%d people offered for ADA", n)
	}
	p = ts.get("/audit?who=lovelace")
	if got := p.text("[data-testid=taken-who]"); !strings.Contains(got, "ada.lovelace@example.com") {
		t.Fatalf("taken: %q", got)
	}
	// Nobody known: filtered by what was typed, whole.
	p = ts.get("/audit?who=" + url.QueryEscape("tokendesk key rotate"))
	wantStatus(t, p, 200)
	if p.Doc.Find("[data-testid=pick-who]").Length() != 0 || p.Doc.Find("[data-testid=taken-who]").Length() != 0 {
		t.Fatal("an unknown actor was not taken as typed")
	}
	// The choices apply on change too.
	if _, ok := p.Doc.Find("select#filter-action").Attr("data-apply-on-change"); !ok {
		t.Fatal("What happened does not apply on change")
	}
}
