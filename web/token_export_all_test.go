package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/transfer"
)

// The list exports every token its filter matches, not only ticked rows:
// "Export all N matching" opens Export with exactly those tokens, and the
// file holds them.
func TestExportAllMatchingTheFilter(t *testing.T) {
	ts := lowWork(newTestServer(t))
	ts.signInAdmin()
	for _, n := range []string{"Lab Feed", "Lab Orders", "Billing"} {
		createTestToken(t, ts, n)
	}
	ts.get("/tokens/new/zoom-s2s")
	wantRedirect(t, ts.post("/tokens/new/zoom-s2s", url.Values{"name": {"Lab Meetings"}, "region": {"zoom"},
		"account_id": {zoomAccount}, "client_id": {zoomClient}, "client_secret": {zoomClientSecret}, "renewal_rate": {"30m"}}), "/tokens")

	if b := ts.get("/tokens").Doc.Find("[data-testid=export-all]"); strings.TrimSpace(b.Text()) != "Export all 4" {
		t.Fatalf("unfiltered button: %q", b.Text())
	}
	for _, c := range []struct {
		query, label string
		want         []string
	}{
		{"q=Lab", "Export all 3 matching", []string{"Lab Feed", "Lab Meetings", "Lab Orders"}},
		{"q=Lab&type=redox", "Export all 2 matching", []string{"Lab Feed", "Lab Orders"}},
		{"type=zoom-s2s", "Export all 1 matching", []string{"Lab Meetings"}},
	} {
		list := ts.get("/tokens?" + c.query)
		b := list.Doc.Find("[data-testid=export-all]")
		if got := strings.TrimSpace(b.Text()); got != c.label {
			t.Fatalf("%s: button %q, want %q", c.query, got, c.label)
		}
		href, _ := b.Attr("href")
		page := ts.get(href)
		wantStatus(t, page, http.StatusOK)
		names := page.Doc.Find("[data-testid=export-names] li").Map(func(_ int, s *goquery.Selection) string { return strings.TrimSpace(s.Text()) })
		if strings.Join(names, ",") != strings.Join(c.want, ",") {
			t.Fatalf("%s: Export lists %v, want %v", c.query, names, c.want)
		}
		form := url.Values{}
		page.Doc.Find("form input[name=id]").Each(func(_ int, s *goquery.Selection) {
			v, _ := s.Attr("value")
			form.Add("id", v)
		})
		var f transfer.File
		if err := json.Unmarshal(mustExport(t, ts, "/tokens", form), &f); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tk := range f.Tokens {
			got = append(got, tk.Name)
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Fatalf("%s: file holds %v, want %v", c.query, got, c.want)
		}
	}
	// Nothing matching: said on the list, no empty file.
	wantRedirect(t, ts.get("/tokens/export?all=1&q=Nothing"), "/tokens?q=Nothing")
	if p := ts.get("/tokens?q=Nothing"); !strings.Contains(p.Body, "No tokens match, so there is nothing to export.") {
		t.Fatalf("nothing matching: %s", excerpt(p.Body))
	}
}

// Export shows progress while it encrypts, and a previous attempt's error
// goes when a new attempt starts: the form is marked for the CSP-safe
// script in static/js/app.js (no inline script), which posts it in the
// background with the button saying "Encrypting…" and a spinner.
func TestExportShowsProgressWithoutInlineScripts(t *testing.T) {
	ts := lowWork(newTestServer(t))
	ts.signInAdmin()
	id := itoa(createTestToken(t, ts, "Lab Feed"))
	ts.get("/tokens/export?id=" + id)
	// A refused attempt: the error the script clears on the next one.
	p := ts.post("/tokens/export", url.Values{"id": {id}, "secrets": {"on"}, "passphrase": {"short"}, "passphrase2": {"short"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	form := p.Doc.Find("form[data-export]")
	if form.Length() != 1 || form.Find(".field-error").Length() == 0 {
		t.Fatalf("the export form is not marked for the script, or has no error:\n%s", excerpt(p.Body))
	}
	btn := form.Find("[data-testid=export-download]")
	if v, _ := btn.Attr("data-busy-text"); v != "Encrypting…" || btn.Find(".spinner").Length() != 1 || btn.Find("[data-label]").Length() != 1 {
		t.Fatalf("the Download button has no busy state: %s", goquery.NewDocumentFromNode(btn.Nodes[0]).Text())
	}
	if form.Find("[data-export-status][role=status]").Length() != 1 {
		t.Fatal("no status region for the progress message")
	}
	p.Doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if src, _ := s.Attr("src"); src == "" {
			t.Fatalf("an inline script: %s", s.Text())
		}
	})
	var appJS string
	p.Doc.Find("script[src]").Each(func(_ int, s *goquery.Selection) {
		if src, _ := s.Attr("src"); strings.Contains(src, "app.") {
			appJS = src
		}
	})
	js := ts.get(appJS)
	for _, want := range []string{`hasAttribute("data-export")`, "clearErrors(form)", `getAttribute("data-busy-text")`} {
		if !strings.Contains(js.Body, want) {
			t.Fatalf("%s lacks %s", appJS, want)
		}
	}
}
