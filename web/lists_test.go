package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/store"
)

// walkPages follows Next from path to the end and Previous back to the
// start, and returns the rows of each page going forward (by selector's
// text); going back must show the same pages.
func walkPages(t *testing.T, ts *testServer, path, selector string) [][]string {
	t.Helper()
	rows := func(p page) []string {
		var out []string
		p.Doc.Find(selector).Each(func(_ int, s *goquery.Selection) { out = append(out, strings.TrimSpace(s.Text())) })
		return out
	}
	p := ts.get(path)
	var pages [][]string
	for {
		wantStatus(t, p, http.StatusOK)
		pages = append(pages, rows(p))
		next, ok := p.Doc.Find("a[rel=next]").Attr("href")
		if !ok {
			break
		}
		p = ts.get(next)
	}
	for i := len(pages) - 2; i >= 0; i-- {
		prev, ok := p.Doc.Find("a[rel=prev]").Attr("href")
		if !ok {
			t.Fatalf("%s: no Previous on page %d", path, i+2)
		}
		p = ts.get(prev)
		if got := rows(p); strings.Join(got, ",") != strings.Join(pages[i], ",") {
			t.Fatalf("%s: page %d differs going back", path, i+1)
		}
	}
	if p.Doc.Find("a[rel=prev]").Length() != 0 {
		t.Fatalf("%s: the first page offers a previous page", path)
	}
	return pages
}

func TestUsersAndClientsArePaged(t *testing.T) {
	ts := newTestServer(t)
	ctx := t.Context()
	for i := range 130 {
		if _, err := ts.store.CreateUser(ctx, fmt.Sprintf("user%03d@example.com", i), "x", store.RoleDesigner); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ts.store.CreateClient(ctx, 0, fmt.Sprintf("Client %03d", i), "test"); err != nil {
			t.Fatal(err)
		}
	}
	// Revoked keys come after the live ones, on every page.
	if _, err := ts.store.RevokeClient(ctx, 0, 1, "test"); err != nil {
		t.Fatal(err)
	}
	ts.signInAdmin()

	users := walkPages(t, ts, "/users", "[data-testid=user-row] td:first-child")
	if len(users) != 2 || len(users[0]) != 100 || len(users[1]) != 31 { // with the administrator
		t.Fatalf("users pages: %d", len(users))
	}
	if !strings.Contains(users[1][30], "user129@example.com") {
		t.Fatalf("last user %q", users[1][30])
	}

	clients := walkPages(t, ts, "/clients", "[data-testid=client-row] td:first-child")
	if len(clients) != 2 || len(clients[0]) != 100 || len(clients[1]) != 30 {
		t.Fatalf("client pages: %d", len(clients))
	}
	if clients[0][0] != "Client 001" || clients[1][29] != "Client 000" {
		t.Fatalf("clients run %q … %q", clients[0][0], clients[1][29])
	}

	for _, bad := range []string{"/users?after=e30", "/users?before=bm9wZQ", "/clients?after=eyJpIjowfQ", "/clients?before=!!"} {
		p := ts.get(bad)
		wantStatus(t, p, http.StatusBadRequest)
		if !strings.Contains(p.Doc.Text(), "page link is damaged") {
			t.Errorf("%s: no clear message", bad)
		}
	}
}

// The app list's token counts are kept by the database as tokens come and
// go; an app's page shows the global tokens it may use a page at a time.
func TestAppCountsAndUsableTokensPage(t *testing.T) {
	w := newAppWorld(t)
	ctx := t.Context()
	for i := range 3 {
		saveRedox(t, w.testServer, "/apps/"+itoa(w.alpha)+"/tokens", fmt.Sprintf("Alpha %d", i))
	}
	saveRedox(t, w.testServer, "/apps/"+itoa(w.beta)+"/tokens", "Beta only")
	counts := func() map[string]string {
		out := map[string]string{}
		w.get("/apps").Doc.Find("[data-testid=app-row]").Each(func(_ int, s *goquery.Selection) {
			out[s.Find("[data-testid=app-name]").Text()] = s.Find("td").Eq(2).Text()
		})
		return out
	}
	if got := counts(); got["Alpha"] != "3" || got["Beta"] != "1" {
		t.Fatalf("counts %v", got)
	}
	toks, _, err := w.store.ListTokens(ctx, store.TokenFilter{AppID: w.alpha, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.DeleteTokens(ctx, w.alpha, []int64{toks[0].ID}, "test"); err != nil {
		t.Fatal(err)
	}
	if got := counts(); got["Alpha"] != "2" || got["Beta"] != "1" {
		t.Fatalf("counts after a removal %v", got)
	}

	// 120 global tokens, one of them only for Beta: Alpha's page pages
	// through the other 119.
	seedTokens(t, w.store, 120)
	hidden, err := w.store.ResolveToken(ctx, 0, "Token 00060")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.store.SetTokenPermissions(ctx, hidden.ID, store.Access{Restricted: true, Apps: []int64{w.beta}}, "test"); err != nil {
		t.Fatal(err)
	}
	pages := walkPages(t, w.testServer, "/apps/"+itoa(w.alpha), "[data-testid=usable-name]")
	var all []string
	for _, p := range pages {
		if len(p) > usablePerPage {
			t.Fatalf("a page of %d usable tokens", len(p))
		}
		all = append(all, p...)
	}
	if len(pages) != 3 || len(all) != 119 || all[0] != "Token 00000" || all[118] != "Token 00119" || strings.Contains(strings.Join(all, ","), "Token 00060") {
		t.Fatalf("%d pages, %d usable tokens", len(pages), len(all))
	}
	wantStatus(t, w.get("/apps/"+itoa(w.alpha)+"?after=e30"), http.StatusBadRequest)
}
