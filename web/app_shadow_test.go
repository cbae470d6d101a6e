package web

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/token"
)

// An app whose own tokens shadow many global tokens lists the first ones
// by name and says there are more, instead of reading (and showing) every
// pair: the page stays within its goal however many tokens the app has
// (issue 18 item 9).
func TestAppPageListsABoundedNumberOfShadows(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	app, err := ts.store.CreateApp(ctx, "Shadowing App", "process", nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	for i := range shadowsShown + 2 {
		for _, appID := range []int64{0, app.ID} {
			if _, err := ts.store.CreateToken(ctx, token.Change{AppID: appID, Provider: "redox", Name: fmt.Sprintf("Feed %03d", i),
				Encrypted: true, Rate: token.Disabled}, "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	ts.signInAdmin()
	page := ts.get(appURL(app.ID))
	rows := page.Doc.Find("[data-testid=shadowed-row]")
	if rows.Length() != shadowsShown {
		t.Fatalf("%d shadowed rows, want %d", rows.Length(), shadowsShown)
	}
	if first := strings.TrimSpace(rows.First().Find("a").Text()); first != "Feed 000" {
		t.Errorf("first shadowed row %q, want Feed 000 (by name)", first)
	}
	more := page.text("[data-testid=shadowed-more]")
	if !strings.Contains(more, fmt.Sprintf("The first %d are listed", shadowsShown)) || page.Doc.Find("[data-testid=shadowed-more] a").AttrOr("href", "") != appURL(app.ID)+"/tokens" {
		t.Errorf("no note that more are shadowed: %q", more)
	}
}
