package web

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
)

// documented is one row of a documented configuration screen.
type documented struct {
	label   string
	control string   // input type, "textarea", "select" or "button"
	options []string // select options, in order
	def     string   // the default value shown (selected option, checked "on")
	help    string   // the documented "Function" text
}

// The screens as their documentation gives them (docs/screens.md sums
// them up), in their order.
var documentedScreens = map[string]struct {
	title, summary, specFile string
	fields                   []documented
}{
	"redox": {
		title: "Redox Access Token", summary: "Configure an access token to connect to Redox.", specFile: "redox-access-token.txt",
		fields: []documented{
			{label: "Token Name", control: "text", help: "Specifies the unique name for your connection to Redox."},
			{label: "Description", control: "textarea", help: "A description for your access token."},
			{label: "Environment", control: "select", options: []string{"Development"}, def: "Development", help: "Specifies the type of Redox environment to use."},
			{label: "API Key", control: "text", help: "Specifies the API key to call the Redox service."},
			{label: "Secret", control: "password", help: "Specifies the API secret to call the Redox service."},
			{label: "OAuth 2.0 Access Token", control: "password", help: "Specifies an OAuth 2.0 access token from Redox."},
			{label: "Get OAuth 2.0 Access Token", control: "button", help: "Sends a request to the Redox service to get the OAuth 2.0 access token."},
			{label: "Renewal Rate", control: "select", options: []string{"Disabled", "Every 15 minutes", "Every half an hour", "Every hour"}, def: "Every hour",
				help: "Specifies how frequently to renew your application's access token."},
		},
	},
	"zoom-s2s": {
		// Not in the documentation: Zoom's replacement for JWT apps (issue 3).
		title: "Zoom (Server-to-Server OAuth) Access Token", summary: "Configure an access token to connect to Zoom with a Server-to-Server OAuth app.",
		fields: []documented{
			{label: "Token Name", control: "text", help: "Specifies the unique name for your connection to Zoom service."},
			{label: "Description", control: "textarea", help: "A description for your access token."},
			// Issue 10 item 5: Zoom or ZoomGov, per token.
			{label: "Region", control: "select", options: []string{"Zoom", "ZoomGov"}, def: "Zoom",
				help: "Specifies the Zoom cloud of your account: Zoom (zoom.us) or ZoomGov (zoomgov.com)."},
			{label: "Account ID", control: "text", help: "Specifies the Account ID of your Zoom Server-to-Server OAuth app."},
			{label: "Client ID", control: "text", help: "Specifies the Client ID of your Zoom Server-to-Server OAuth app."},
			{label: "Client Secret", control: "password", help: "Specifies the Client Secret of your Zoom Server-to-Server OAuth app."},
			{label: "OAuth 2.0 Access Token", control: "password", help: "Specifies an OAuth 2.0 access token from Zoom."},
			{label: "Get OAuth 2.0 Access Token", control: "button", help: "Sends a request to the Zoom service to get the OAuth 2.0 access token."},
			{label: "Test Connection", control: "button", help: "Makes sure the specified Zoom account is correct."},
			{label: "Renewal Rate", control: "select", options: []string{"Disabled", "Every 15 minutes", "Every half an hour", "Every hour"}, def: "Every hour",
				help: "Specifies how frequently to renew your application's access token."},
			// Issue 22: apps may call Zoom through the proxy only.
			{label: "Only through the proxy", control: "checkbox", help: provider.ProxyOnlyField().Help},
		},
	},
	"zoom": {
		title: "Zoom Access Token", summary: "Configure an access token to connect to Zoom.", specFile: "zoom-access-token.txt",
		fields: []documented{
			{label: "Token Name", control: "text", help: "Specifies the unique name for your connection to Zoom service."},
			{label: "Description", control: "textarea", help: "A description for your access token."},
			{label: "API Key", control: "text", help: "Specifies the API key to call the Zoom service."},
			{label: "API Secret", control: "password", help: "Specifies the API secret to call the Zoom service."},
			{label: "Test Connection", control: "button", help: "Makes sure the specified Zoom account is correct."},
			// The spec says "the AgilePoint database"; this product's database is tokendesk's.
			{label: "Encrypt", control: "checkbox", def: "on", help: "Stores the access token in the tokendesk database as encrypted data."},
		},
	},
}

// renderedField reads one documented row back from the HTML.
func renderedField(t *testing.T, doc *goquery.Document, field *goquery.Selection) documented {
	t.Helper()
	var d documented
	if btn := field.Find("button"); btn.Length() > 0 {
		d.label = strings.TrimSpace(btn.Text())
		d.control = "button"
	} else {
		label := field.Find("label").First()
		d.label = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(label.Text()), "*"))
		id, _ := label.Attr("for")
		ctl := doc.Find("#" + id)
		if ctl.Length() != 1 {
			t.Fatalf("label %q points at %q, which is not one control", d.label, id)
		}
		switch tag := goquery.NodeName(ctl); tag {
		case "input":
			d.control, _ = ctl.Attr("type")
			if _, checked := ctl.Attr("checked"); checked {
				d.def = "on"
			}
			if d.control != "checkbox" {
				d.def, _ = ctl.Attr("value")
			}
		case "textarea":
			d.control = "textarea"
		case "select":
			d.control = "select"
			ctl.Find("option").Each(func(_ int, o *goquery.Selection) {
				d.options = append(d.options, strings.TrimSpace(o.Text()))
				if _, sel := o.Attr("selected"); sel {
					d.def = strings.TrimSpace(o.Text())
				}
			})
		}
	}
	d.help = strings.TrimSpace(field.Find("p.hint").First().Text())
	return d
}

func TestScreensMatchTheDocumentation(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	for id, screen := range documentedScreens {
		t.Run(id, func(t *testing.T) {
			p := ts.get("/tokens/new/" + id)
			wantStatus(t, p, http.StatusOK)
			if got := p.text("h1"); got != screen.title {
				t.Errorf("title %q, want %q", got, screen.title)
			}
			if got := p.text("p.lede"); got != screen.summary {
				t.Errorf("summary %q, want %q", got, screen.summary)
			}
			var got []documented
			p.Doc.Find("form[data-testid=token-form] div.field").Each(func(_ int, s *goquery.Selection) {
				got = append(got, renderedField(t, p.Doc, s))
			})
			// A button is shown only once its provider call is wired: no dead buttons.
			prov, _ := registry.ByID(id)
			var want []documented
			for _, w := range screen.fields {
				if w.control == "button" && len(prov.Actions) == 0 {
					continue
				}
				want = append(want, w)
			}
			if len(got) != len(want) {
				t.Fatalf("%d fields %v, want %d", len(got), labels(got), len(want))
			}
			for i := range want {
				g, w := got[i], want[i]
				if g.label != w.label || g.control != w.control || g.def != w.def || g.help != w.help ||
					strings.Join(g.options, "|") != strings.Join(w.options, "|") {
					t.Errorf("field %d:\n got %+v\nwant %+v", i+1, g, w)
				}
			}
			if save := p.Doc.Find("button[data-testid=save]"); strings.TrimSpace(save.Text()) != "Save" {
				t.Errorf("save button %q", save.Text())
			}
			if p.Doc.Find(`input[name="_csrf"]`).Length() == 0 {
				t.Error("form carries no CSRF field")
			}
			// Word for word: every label and help text stands in the spec.
			if screen.specFile == "" {
				return
			}
			spec, err := os.ReadFile(filepath.Join("..", "..", "shared", "spec", screen.specFile))
			if err != nil {
				t.Logf("spec file not beside the checkout (%v); compared against the table only", err)
				return
			}
			for _, w := range want {
				if !strings.Contains(string(spec), w.label) {
					t.Errorf("label %q is not in %s", w.label, screen.specFile)
				}
				if h := strings.Replace(w.help, "tokendesk database", "AgilePoint database", 1); !strings.Contains(string(spec), h) {
					t.Errorf("help %q is not in %s", w.help, screen.specFile)
				}
			}
		})
	}
}

func labels(ds []documented) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.label)
	}
	return out
}

func TestAddTokenAsksForTheProviderFirst(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	home := ts.get("/")
	wantRedirect(t, home, "/tokens")
	list := ts.get("/tokens")
	if ts.last.Find(`a[href="/tokens"]`).Text() != "Access Tokens" {
		t.Error(`no "Access Tokens" link in the navigation`)
	}
	add, _ := list.Doc.Find("a[data-testid=add-token]").Attr("href")
	pick := ts.get(add)
	wantStatus(t, pick, http.StatusOK)
	var names []string
	pick.Doc.Find("[data-testid=provider-choices] a strong").Each(func(_ int, s *goquery.Selection) { names = append(names, s.Text()) })
	if !pickerEnds(pick, names) {
		t.Fatalf("provider choices %v", names)
	}
	redox, _ := pick.Doc.Find(`[data-testid=provider-choices] a:contains("Redox")`).Attr("href")
	if p := ts.get(redox); p.text("h1") != "Redox Access Token" {
		t.Fatalf("Redox choice opens %q", p.text("h1"))
	}
	wantStatus(t, ts.get("/tokens/new/salesforce"), http.StatusNotFound)
}
