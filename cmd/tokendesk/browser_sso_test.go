package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/tokendesk/tokendesk/internal/oidctest"
)

// An administrator sets up single sign-on against an OpenID Connect
// provider started here, runs Test sign-in, switches it on; then a
// designer signs in with the button, through the provider's consent page,
// created on the spot with the app their group maps to. Real Chromium,
// the server as `serve` starts it, axe-core on every page.
func TestSSOInTheBrowser(t *testing.T) {
	t.Parallel() // beside the other browser and replica tests: its own processes, browser and database
	chromium := chromiumPath()
	if chromium == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("Chromium is missing in CI (.ci/run installs Debian's chromium)")
		}
		t.Skip("SKIPPED browser tests: Chromium not found (apt-get install chromium)")
	}
	var back atomic.Pointer[httputil.ReverseProxy]
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { back.Load().ServeHTTP(w, r) }))
	defer front.Close()
	idp, idpURL := oidctest.Start(t)
	idp.AddClient(oidctest.Client{ID: "tokendesk", Secret: "browser-idp-secret", RedirectURIs: []string{front.URL + "/login/sso/callback"}})
	idp.AddUser(oidctest.User{Subject: "ada", Email: "ada@example.com", Name: "Ada", Groups: []string{"td-admins"}})
	idp.AddUser(oidctest.User{Subject: "bob", Email: "bob@example.com", Name: "Bob", Groups: []string{"billing-devs"}})

	inst, err := start(t, map[string]string{
		"TOKENDESK_DATA_DIR": t.TempDir(), "TOKENDESK_ADMIN_EMAIL": "ada@example.com", "TOKENDESK_ADMIN_PASSWORD": "correct horse battery",
		"TOKENDESK_BASE_URL": front.URL,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.stop()
	target, _ := url.Parse(inst.base)
	back.Store(httputil.NewSingleHostReverseProxy(target))

	ctx := newChromium(t, chromium, 1280, 900)
	b := &browserRun{t: t, ctx: ctx, base: front.URL, js: true, axe: axeSource(t), visits: map[string]bool{}}

	// The administrator signs in with the password and creates the app.
	b.visit("/login")
	b.fill(map[string]string{"email": "ada@example.com", "password": "correct horse battery"})
	b.submit("#password", "[data-testid=signed-in-as]")
	b.visit("/apps/new")
	b.fill(map[string]string{"app-name": "Billing"})
	b.submit("#app-name", "[data-testid=flash]")

	// Settings → Single sign-on.
	b.visit("/settings")
	b.press("[data-testid=sso-link]", "[data-testid=sso-form]")
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("[data-testid=sso-redirect-uri]"))); v != front.URL+"/login/sso/callback" {
		t.Fatalf("Redirect URI shown: %q", v)
	}
	b.fill(map[string]string{"name": "Contoso ID", "issuer": idpURL, "client_id": "tokendesk", "client_secret": "browser-idp-secret"})
	b.do(chromedp.SendKeys(chromedp.ID("admin_values"), "td-admins"), chromedp.SendKeys(chromedp.ID("designer_rules"), "billing-devs = Billing"))
	b.submit("#issuer", "[data-testid=flash]")

	// Test sign-in, through the provider's consent page.
	b.press("[data-testid=sso-test]", "[data-testid=idp-user-ada]")
	b.press("[data-testid=idp-user-ada]", "[data-testid=sso-test-result]")
	if got := b.text("[data-testid=sso-test-access]"); got != "administrator" {
		t.Fatalf("Test sign-in maps ada to %q", got)
	}
	b.press("[data-testid=sso-back]", "[data-testid=sso-form]")
	b.do(chromedp.Click(chromedp.ID("enabled"), chromedp.NodeVisible))
	b.submit("#issuer", "[data-testid=flash]")
	if f := b.text("[data-testid=flash]"); !strings.HasPrefix(f, "Single sign-on settings saved.") {
		t.Fatalf("switching on: %q", f)
	}
	b.submit(`form[action="/logout"]`, "[data-testid=sso-signin-link]")

	// A designer signs in with the button, created with Billing.
	b.checked()
	b.press("[data-testid=sso-signin-link]", "[data-testid=idp-user-bob]")
	b.press("[data-testid=idp-user-bob]", "[data-testid=signed-in-as]")
	if got := b.text("[data-testid=signed-in-as]"); got != "bob@example.com" {
		t.Fatalf("signed in as %q", got)
	}
	b.visit("/apps")
	if !strings.Contains(b.text("main"), "Billing") {
		t.Fatal("bob does not see Billing")
	}
	if b.axe != "" && len(b.visits) < 6 {
		t.Fatalf("axe-core checked only %d pages", len(b.visits))
	}
	t.Logf("axe-core checked %d pages", len(b.visits))
}
