package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/token"
)

// Retired is one declared status: a Zoom JWT token shows "Retired by Zoom"
// and is found under the Status filter's "Retired", sorted by Status with
// the rest, and counted among the tokens apps cannot use, as the runtime
// API (410 retired) treats it.
func TestRetiredIsOneStatus(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/zoom")
	wantRedirect(t, ts.post("/tokens/new/zoom", zoomForm("Meetings")), "/tokens")
	rows := func(path string) []string {
		var out []string
		ts.get(path).Doc.Find("[data-testid=token-row]").Each(func(_ int, r *goquery.Selection) {
			out = append(out, strings.TrimSpace(r.Find("[data-testid=token-status]").Text()))
		})
		return out
	}
	if got := rows("/tokens?status=" + url.QueryEscape(token.StatusRetired)); len(got) != 1 || got[0] != "Retired by Zoom" {
		t.Fatalf("the filter Retired lists %v", got)
	}
	if got := rows("/tokens?type=redox&status=" + url.QueryEscape(token.StatusRetired)); len(got) != 0 {
		t.Fatalf("Redox tokens under Retired: %v", got)
	}
	for _, st := range token.StatusNames() {
		if got := rows("/tokens?status=" + url.QueryEscape(st)); st != token.StatusRetired && len(got) != 0 {
			t.Errorf("the filter %q lists %v", st, got)
		}
	}
	if got := rows("/tokens?sort=status"); len(got) != 1 {
		t.Fatalf("sorted by Status: %v", got)
	}
	list := ts.get("/tokens")
	var unusable []string
	list.Doc.Find("[data-testid=unusable-status]").Each(func(_ int, a *goquery.Selection) {
		unusable = append(unusable, strings.Join(strings.Fields(a.Text()), " "))
	})
	if strings.Join(unusable, "|") != "1 Retired" {
		t.Errorf("apps cannot use: %v", unusable)
	}
	if token.StatusCode(token.StatusRetired) != "retired" || token.StatusCode("Retired by Zoom") != "retired" {
		t.Errorf("Retired's API code: %q", token.StatusCode(token.StatusRetired))
	}
}
