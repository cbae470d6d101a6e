package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/config"
)

// Issue 22: a token's page shows how an app fetches it, in curl, Go (the
// client library), Python and JavaScript, with this console's address and
// the name URL-encoded (a name with a space works), no placeholder, a Copy
// button for each (hidden until JavaScript shows it; the code is text to
// select without it) and a link to the OpenAPI document.
func TestATokensPageShowsHowAnAppFetchesIt(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	id := saveRedox(t, ts, "/tokens", "Lab Feed")
	p := ts.get("/tokens/" + itoa(id))
	wantStatus(t, p, http.StatusOK)
	base := ts.http.URL // TOKENDESK_BASE_URL left to its default: the address the browser used
	for _, want := range []struct{ id, text string }{
		{"snippet-curl", `-H "Authorization: Bearer $TOKENDESK_KEY"`},
		{"snippet-curl", "'" + base + "/api/v1/tokens/Lab%20Feed'"},
		{"snippet-go", `client.New("` + base + `", os.Getenv("TOKENDESK_KEY"))`},
		{"snippet-go", `td.Token(context.Background(), "Lab Feed")`},
		{"snippet-go", `"github.com/tokendesk/tokendesk/client"`},
		{"snippet-python", `name = "Lab Feed"`},
		{"snippet-python", `"` + base + `/api/v1/tokens/" + quote(name, safe="")`},
		{"snippet-python", "import requests"},
		{"snippet-js", `"` + base + `/api/v1/tokens/" + encodeURIComponent(name)`},
	} {
		if got := p.Doc.Find("[data-testid=api-usage] pre#" + want.id).Text(); !strings.Contains(got, want.text) {
			t.Errorf("%s lacks %s:\n%s", want.id, want.text, got)
		}
		if btn := p.Doc.Find("button[data-copy=" + want.id + "]"); btn.Length() != 1 || btn.AttrOr("hidden", "x") == "x" {
			t.Errorf("%s: no Copy button hidden until JavaScript shows it", want.id)
		}
	}
	usage := p.text("[data-testid=api-usage]")
	if strings.Contains(usage, "<Token Name>") || strings.Contains(usage, "Lab Feed'") {
		t.Errorf("a placeholder or an unencoded name: %s", usage)
	}
	if href := p.Doc.Find("[data-testid=api-usage-openapi]").AttrOr("href", ""); href != base+"/api/v1/openapi.json" {
		t.Errorf("OpenAPI link %q", href)
	}
	if api := apiGet(t, ts, createClient(t, ts, "/clients", "Snippet check"), "Lab Feed"); api.Status != http.StatusOK {
		t.Fatalf("the name in the snippets does not fetch: %d", api.Status)
	}

	// Add Token has no saved token to fetch: no panel.
	if n := ts.get("/tokens/new/redox").Doc.Find("[data-testid=api-usage]").Length(); n != 0 {
		t.Error("the Add Token form shows snippets")
	}
}

// With TOKENDESK_BASE_URL set, the snippets use it, whatever Host the
// request named; the one-time key page sets the key and names a token the
// key may fetch.
func TestSnippetsUseTheConfiguredAddress(t *testing.T) {
	ts := newTestServer(t, withConfig(func(c *config.Config) { c.BaseURL, _ = url.Parse("https://tokens.example.com/desk") }))
	ts.signInAdmin()
	saveRedox(t, ts, "/tokens", "Zeta Feed")
	saveRedox(t, ts, "/tokens", "Alpha Feed")
	ts.get("/clients")
	wantRedirect(t, ts.post("/clients", url.Values{"name": {"Nightly export"}}), "/clients/created")
	p := ts.get("/clients/created")
	key := p.text("[data-testid=key]")
	if got := p.text("[data-testid=snippet-key]"); got != "export TOKENDESK_KEY='"+key+"'" {
		t.Errorf("key line %q", got)
	}
	if got := p.text("[data-testid=snippet-curl]"); !strings.Contains(got, "'https://tokens.example.com/desk/api/v1/tokens/Alpha%20Feed'") {
		t.Errorf("curl %q", got)
	}
	if p.Doc.Find("[data-testid=api-usage-no-token]").Length() != 0 {
		t.Error("says there is no token")
	}
}
