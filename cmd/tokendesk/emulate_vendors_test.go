package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
)

// `make demo` connects catalogue services against `tokendesk emulate`:
// with TOKENDESK_EMULATOR_URL pointing at it (which covers the catalogue's
// vendors, TOKENDESK_OAUTH_VENDORS_URL, as every declared base URL),
// HubSpot, Slack and Atlassian (Jira) are connected from their forms as
// they come (only the printed demo client typed in): the browser goes to
// the vendor's consent page, Allow comes back to the console, Save tests
// the token and names the account, with Atlassian's cloud id read after
// connecting.
func TestDemoConnectsHubSpotSlackAndJira(t *testing.T) {
	// The console's Redirect URI is its base URL (http:// + --addr, here
	// 127.0.0.1:0) + /oauth/callback: the demo app is registered for that.
	const console = "http://127.0.0.1:0"
	base, out := startEmulate(t, "--console-url", console)
	for _, printed := range []string{oauthtest.DemoCatalogueClientID, oauthtest.DemoCatalogueClientSecret, "TOKENDESK_EMULATOR_URL=" + base,
		"TOKENDESK_OAUTH_VENDORS_URL=" + base, "HubSpot", "Slack", "Atlassian"} {
		if !strings.Contains(out.String(), printed) {
			t.Fatalf("emulate does not print %q:\n%s", printed, out.String())
		}
	}
	inst, err := start(t, map[string]string{
		"TOKENDESK_DATA_DIR": t.TempDir(), "TOKENDESK_ADMIN_EMAIL": "demo@tokendesk.test", "TOKENDESK_ADMIN_PASSWORD": "demo password 123",
		"TOKENDESK_EMULATOR_URL": base,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.stop()

	b := newBrowser(t)
	b.post(inst.base+"/login", url.Values{"email": {"demo@tokendesk.test"}, "password": {"demo password 123"}}, inst.base+"/login")
	for _, tc := range []struct{ id, account string }{
		{"oauth2-hubspot", "62515"},
		{"oauth2-slack", "demo (Slack Pickers)"},
		{"oauth2-atlassian", "Demo User (demo.user@oauth.example)"},
	} {
		p, _ := registry.ByID(tc.id)
		form := url.Values{}
		for _, f := range p.Fields {
			switch {
			case f.Control == provider.Copy || f.Control == provider.Button:
			case f.Control == provider.Checkbox:
				if f.Default != "" {
					form.Set(f.Key, "on")
				}
			case f.Default != "":
				form.Set(f.Key, f.Default)
			}
		}
		name := "Demo " + p.Name[:3]
		form.Set("name", name)
		form.Set("client_id", oauthtest.DemoCatalogueClientID)
		form.Set("client_secret", oauthtest.DemoCatalogueClientSecret)
		form.Set("action", "get_token")
		path := inst.base + "/tokens/new/" + tc.id
		_, doc := b.get(path)
		csrf, _ := doc.Find(`input[name="_csrf"]`).Attr("value")
		form.Set("_csrf", csrf)
		resp, err := b.client.PostForm(path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		consentAt, ok := strings.CutPrefix(resp.Header.Get("Refresh"), "0; url=")
		if !ok || !strings.HasPrefix(consentAt, base+"/vendors/") {
			t.Fatalf("%s: not sent to the emulator: %q", p.Name, resp.Header.Get("Refresh"))
		}
		resp, doc = b.get(consentAt)
		action, _ := doc.Find("form").Attr("action")
		request, _ := doc.Find(`input[name=request]`).Attr("value")
		if resp.StatusCode != http.StatusOK || request == "" {
			t.Fatalf("%s: no consent page at %s: %d", p.Name, consentAt, resp.StatusCode)
		}
		target, _ := resp.Request.URL.Parse(action)
		resp, err = b.client.PostForm(target.String(), url.Values{"request": {request}, "decision": {"allow"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		cb := resp.Header.Get("Location")
		if !strings.HasPrefix(cb, console+"/oauth/callback?") {
			t.Fatalf("%s: Allow went to %d %q", p.Name, resp.StatusCode, cb)
		}
		cb = inst.base + strings.TrimPrefix(cb, console)
		resp, _ = b.get(cb)
		back, _ := resp.Request.URL.Parse(resp.Header.Get("Location"))
		_, doc = b.get(back.String())
		pend, _ := doc.Find("input[name=pending]").Attr("value")
		if pend == "" {
			t.Fatalf("%s: no token came back: %s", p.Name, doc.Find("[data-testid=form-problem]").Text())
		}
		form.Del("action")
		form.Set("client_secret", "")
		form.Set("pending", pend)
		csrf, _ = doc.Find(`input[name="_csrf"]`).Attr("value")
		form.Set("_csrf", csrf)
		resp, err = b.client.PostForm(path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		_, list := b.get(inst.base + "/tokens")
		flash := strings.TrimSpace(list.Find("[data-testid=flash]").Text())
		if want := "Connected to " + p.Name + " as " + tc.account + "."; !strings.HasSuffix(flash, want) {
			t.Fatalf("%s saved: %q, want it to end %q", p.Name, flash, want)
		}
	}
}
