package web

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/token"
)

// A token whose refresh token runs out within 14 days shows "Reconnect
// within N days"; it has its own Status filter choice, which lists it, and
// sort by Status (one status at a time) lists it too (review 3: it was in
// no status, so the sorted list left it out).
func TestReconnectSoonIsAStatusOfItsOwn(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true, RefreshTTL: 7 * 24 * time.Hour}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	connect(t, ts, emu, "Team Drive", "1h")
	rows := func(path string) []string {
		var out []string
		ts.get(path).Doc.Find("[data-testid=token-row]").Each(func(_ int, r *goquery.Selection) {
			out = append(out, strings.TrimSpace(r.Find("[data-testid=token-status]").Text()))
		})
		return out
	}
	if got := rows("/tokens"); len(got) != 1 || got[0] != "Reconnect within 7 days" {
		t.Fatalf("the list shows %v", got)
	}
	if got := rows("/tokens?sort=status"); len(got) != 1 {
		t.Fatalf("sorted by Status, the list shows %v", got)
	}
	if got := rows("/tokens?sort=status&dir=desc"); len(got) != 1 {
		t.Fatalf("sorted by Status, reversed, the list shows %v", got)
	}
	if got := rows("/tokens?status=" + url.QueryEscape(token.StatusReconnectSoon)); len(got) != 1 || got[0] != "Reconnect within 7 days" {
		t.Fatalf("the filter %q lists %v", token.StatusReconnectSoon, got)
	}
	for _, st := range token.StatusNames() {
		if st == token.StatusReconnectSoon {
			continue
		}
		if got := rows("/tokens?status=" + url.QueryEscape(st)); len(got) != 0 {
			t.Errorf("the filter %q lists %v", st, got)
		}
	}
	// The list says so above the rows, and its link lists them.
	list := ts.get("/tokens")
	banner := list.Doc.Find("[data-testid=reconnect-soon-count]")
	if text := strings.Join(strings.Fields(banner.Text()), " "); !strings.Contains(text, "1 token must be reconnected within 14 days") {
		t.Errorf("the list's banner says %q", text)
	}
	if href, _ := banner.Find("a").Attr("href"); href != "/tokens?status="+url.QueryEscape(token.StatusReconnectSoon) {
		t.Errorf("the banner links to %q", href)
	}
	var choices []string
	list.Doc.Find("select[name=status] option").Each(func(_ int, o *goquery.Selection) {
		choices = append(choices, strings.TrimSpace(o.Text()))
	})
	if !slices.Contains(choices, token.StatusReconnectSoon) {
		t.Errorf("the Status filter offers %v", choices)
	}
}
