package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/provider/oauth"
)

// pickerEnds reports whether the picker's cards end as they must: the
// vendors with their own method (Redox, Redox (OAuth 2.0), Zoom
// Server-to-Server), then the retired Zoom JWT app, then OAuth 2.0 for
// any other service.
func pickerEnds(pick page, names []string) bool {
	var own []string
	pick.Doc.Find("[data-testid=group-vendors-with-their-own-method] a strong").Each(func(_ int, s *goquery.Selection) { own = append(own, s.Text()) })
	n := len(names)
	return strings.Join(own, ",") == "Redox,Redox (OAuth 2.0),Zoom (Server-to-Server OAuth)" &&
		n > 2 && names[n-2] == "Zoom" && names[n-1] == "OAuth 2.0"
}

func cardNames(p page, sel string) []string {
	var names []string
	p.Doc.Find(sel).Each(func(_ int, s *goquery.Selection) { names = append(names, strings.TrimSpace(s.Text())) })
	return names
}

// Add Token's picker with the catalogue: every service a card in its
// group, in the groups' order, the retired Zoom JWT card last and marked
// retired, OAuth 2.0 at the end; the search works without JavaScript (a
// GET form the server filters by: a product finds its service, a group
// its services, nothing found says so and still offers OAuth 2.0), and
// the cards carry the text the script filters by.
func TestPickerGroupsAndSearch(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	pick := ts.get("/tokens/new")
	wantStatus(t, pick, http.StatusOK)
	groups := cardNames(pick, "[data-testid=provider-choices] section h2")
	want := append(append([]string{}, oauth.Groups...), "Vendors with their own method", "Retired by their vendor", "Can't find it?")
	if strings.Join(groups, "|") != strings.Join(want, "|") {
		t.Fatalf("groups %q", groups)
	}
	names := cardNames(pick, "[data-testid=provider-choices] a strong")
	if len(names) != len(oauth.Presets)+5 || !pickerEnds(pick, names) {
		t.Fatalf("%d cards %v", len(names), names)
	}
	for _, ps := range oauth.Presets {
		sel := "[data-testid=group-" + groupID(ps.Group) + "] a[href='/tokens/new/" + ps.ID + "']"
		if pick.Doc.Find(sel).Length() != 1 {
			t.Errorf("%s is not a card in %s", ps.Name, ps.Group)
		}
	}
	if r := pick.text("[data-testid=group-retired-by-their-vendor] [data-testid=picker-retired]"); r != "Retired by Zoom" {
		t.Fatalf("the Zoom JWT card is marked %q", r)
	}
	if s, _ := pick.Doc.Find("[data-picker-card]:contains('Google Drive')").Attr("data-search"); !strings.Contains(s, "google drive") || !strings.Contains(s, "gmail") {
		t.Fatalf("Google Drive's search text %q", s)
	}
	if got := cardNames(pick, "[data-testid=group-crm-and-marketing] a strong"); strings.Join(got, ",") != "HubSpot,LinkedIn,Mailchimp,Pipedrive,Salesforce,Zoho (CRM, Books, Desk)" {
		t.Fatalf("CRM group, by name: %v", got)
	}
	if f := pick.Doc.Find("form[data-testid=picker-search]"); f.AttrOr("method", "") != "get" || f.AttrOr("action", "") != "/tokens/new" {
		t.Fatal("the search is not a GET form to the picker")
	}

	for q, wantCards := range map[string]string{
		"jira":      "Atlassian (Jira, Confluence)",
		"Outlook":   "Microsoft SharePoint",
		"crm zoho":  "Zoho (CRM, Books, Desk)",
		"finance":   "DocuSign,QuickBooks Online,Shopify,Xero",
		"no such x": "",
	} {
		p := ts.get("/tokens/new?q=" + strings.ReplaceAll(q, " ", "+"))
		got := cardNames(p, "[data-picker-card] a strong")
		if strings.Join(got, ",") != wantCards {
			t.Errorf("search %q: %v, want %s", q, got, wantCards)
		}
		if p.text("[data-testid=picker-generic] strong") != "OAuth 2.0" {
			t.Errorf("search %q hides OAuth 2.0", q)
		}
		if v, _ := p.Doc.Find("#picker-q").Attr("value"); v != q {
			t.Errorf("search box shows %q", v)
		}
		if wantCards == "" && p.text("[data-testid=picker-none]") != "No service matches your search." {
			t.Errorf("search %q says nothing found: %q", q, p.text("[data-testid=picker-none]"))
		}
	}
	if c := ts.get("/tokens/new?q=jira").text("[data-testid=picker-count]"); !strings.HasPrefix(c, "1 of 34 services match “jira”.") {
		t.Fatalf("count %q", c)
	}
}
