package main

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/provider/zoom/zoomtest"
	"golang.org/x/oauth2"
)

// The emulators' consent pages, as a person meets them in `make demo`:
// they pass axe-core, name the app and the scopes, and Allow / Deny send
// the browser back to the redirect URI with a code or access_denied.
func TestConsentPagesInTheBrowser(t *testing.T) {
	t.Parallel() // beside the other browser and replica tests: its own processes, browser and database
	chromium := chromiumPath()
	if chromium == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("Chromium is missing in CI (.ci/run installs Debian's chromium)")
		}
		t.Skip("SKIPPED browser tests: Chromium not found (apt-get install chromium)")
	}
	axe := axeSource(t)

	// The console's callback, reduced to showing what it was sent.
	callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		fmt.Fprintf(w, `<!doctype html><html lang="en"><title>callback</title><main><p id="code">%s</p><p id="error">%s</p><p id="state">%s</p></main></html>`,
			html.EscapeString(q.Get("code")), html.EscapeString(q.Get("error")), html.EscapeString(q.Get("state")))
	}))
	t.Cleanup(callback.Close)
	redirectURI := callback.URL + "/oauth/callback"

	generic, genericURL := oauthtest.Start(t, oauthtest.Options{})
	generic.AddClient(oauthtest.Client{ID: "demo", Secret: "s", Name: "Acme Reports", RedirectURIs: []string{redirectURI}})
	zoom, zoomURL := zoomtest.Start(t)
	zoom.AddAccount(zoomtest.User{ID: "u1", FirstName: "Demo", LastName: "Admin", Email: "demo.admin@zoom.example", AccountID: "acc"}).
		AddUserApp("acc", "zoom-app", "s", redirectURI)

	for _, tc := range []struct{ name, authURL, client, names string }{
		{"OAuth 2.0", genericURL + "/authorize", "demo", "Acme Reports"},
		{"Zoom user OAuth", zoomURL + "/oauth/authorize", "zoom-app", "zoom-app"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := newChromium(t, chromium, 1024, 768)
			b := &browserRun{t: t, ctx: ctx, base: "", js: true, axe: axe, visits: map[string]bool{}}
			conf := &oauth2.Config{ClientID: tc.client, RedirectURL: redirectURI, Scopes: []string{"files.read"},
				Endpoint: oauth2.Endpoint{AuthURL: tc.authURL}}
			for _, decision := range []struct{ button, field, want string }{
				{"Deny", "#error", "access_denied"},
				{"Allow", "#code", ""},
			} {
				b.do(chromedp.Navigate(conf.AuthCodeURL("st-" + decision.button)))
				b.checked()
				if got := b.text("[data-testid=consent-client]"); got != tc.names {
					t.Fatalf("the consent page names %q", got)
				}
				b.press(`button[value=`+strings.ToLower(decision.button)+`]`, decision.field)
				got := b.text(decision.field)
				if (decision.want != "" && got != decision.want) || got == "" || b.text("#state") != "st-"+decision.button {
					t.Fatalf("%s sent back %s=%q state %q", decision.button, decision.field, got, b.text("#state"))
				}
			}
			if axe != "" && len(b.visits) < 2 {
				t.Fatalf("axe-core checked %d pages", len(b.visits))
			}
		})
	}
}
