package web

import (
	"github.com/PuerkitoBio/goquery"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/provider/redox/redoxtest"
)

// Issue 18 item 21: the sentences a newcomer tripped over read right.
func TestWordingReadsRight(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()

	// Zoom's scopes follow the time after a space.
	ts.get("/tokens/new/zoom-s2s")
	ts.zoom.SetScopes(zoomClient, "meeting:write:admin user:read:admin")
	form := url.Values{"name": {"Zoom S2S"}, "region": {"zoom"}, "account_id": {zoomAccount}, "client_id": {zoomClient},
		"client_secret": {zoomClientSecret}, "renewal_rate": {"1h"}, "action": {"get_token"}}
	_, steps := resultOf(ts.post("/tokens/new/zoom-s2s", form), "get_token")
	if last := steps[len(steps)-1]; !strings.Contains(last, "UTC (scopes: meeting:write:admin user:read:admin)") {
		t.Fatalf("steps %q", steps)
	}

	// The fields a button needs stand above it.
	ts.get("/tokens/new/oauth2")
	p := ts.post("/tokens/new/oauth2", url.Values{"name": {"IdP"}, "grant_type": {"authorization_code"}, "renewal_rate": {"disabled"}, "action": {"get_token"}})
	if s, _ := resultOf(p, "get_token"); s != "Get OAuth 2.0 Access Token needs the credentials marked above; fix them and try again." {
		t.Fatalf("summary %q", s)
	}

	// One failing token is "its", not "their".
	failing := saveRedox(t, ts, "/tokens", "Billing Feed")
	ts.clock.Advance(time.Hour)
	ts.redox.SetFault(redoxtest.Fail500)
	ts.get("/tokens/" + itoa(failing))
	ts.post("/tokens/"+itoa(failing)+"/renew", nil)
	ts.redox.SetFault(redoxtest.NoFault)
	if got := strings.Join(strings.Fields(ts.get("/tokens").text("[data-testid=failing-count]")), " "); got != "1 token's renewal is failing: its access token will expire unless someone looks." {
		t.Fatalf("failing count %q", got)
	}

	// With no designers yet, the Users page is a link.
	if href, _ := ts.get("/apps").Doc.Find("[data-testid=no-designers] a").Attr("href"); href != "/users" {
		t.Fatalf("Users page link %q", href)
	}
}

// A refusal's own full stop is not doubled ("…denied.”." read as a typo).
func TestRefusalQuoteKeepsOneStop(t *testing.T) {
	got := providerRefusal("idp.example", "access_denied", "The user denied the request.")
	if !strings.Contains(got, "It said: “The user denied the request.” Press") {
		t.Fatalf("%q", got)
	}
	if got := providerRefusal("idp.example", "access_denied", "no"); !strings.Contains(got, "It said: “no”. Press") {
		t.Fatalf("%q", got)
	}
}

// Issue 18 item 12: back from a consent page, the outcome stands where the
// page opens (before the form), and again at the button, which it links to.
func TestConsentOutcomeAtTheTop(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	ts.get("/tokens/new/oauth2")
	_, _, p := consent(t, ts, "/tokens/new/oauth2", oauthForm("Drive Sync", emu, "authorization_code", "client_secret_basic"))
	wantStatus(t, p, http.StatusOK)
	top := p.Doc.Find("[data-testid=consent-outcome]")
	if !strings.Contains(top.Text(), "Obtained an OAuth 2.0 access token") {
		t.Fatalf("top of the form: %q", top.Text())
	}
	if top.NextAllFiltered("#token-form").Length() != 1 {
		t.Fatal("the outcome is not above the form")
	}
	if href, _ := top.Find("[data-testid=consent-outcome-link]").Attr("href"); href != "#result-get_token" || p.Doc.Find(href).Length() != 1 {
		t.Fatalf("link to the button's result %q", href)
	}
	if s, _ := resultOf(p, "get_token"); !strings.Contains(s, "Obtained an OAuth 2.0 access token") {
		t.Fatalf("at the button: %q", s)
	}
	// A form opened without a trip has no such panel.
	if ts.get("/tokens/new/oauth2").Doc.Find("[data-testid=consent-outcome]").Length() != 0 {
		t.Fatal("an outcome on a fresh form")
	}
}

// Issue 18 item 12: a saved key-pair token lands on its page, where the key
// to register is, whichever provider made it; others land on the list.
func TestKeyPairTokenLandsOnItsPage(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{}, oauthtest.PrivateKeyJWT)
	ts.signInAdmin()
	ts.get("/tokens/new/redox-oauth")
	saved := ts.post("/tokens/new/redox-oauth", redoxOAuthForm("FHIR Feed", "rs384"))
	p := ts.get(saved.Header.Get("Location"))
	wantRedirect(t, saved, "/tokens/"+itoa(tokenIDByName(t, ts, "FHIR Feed")))
	if p.Doc.Find("[data-testid=public-key]").Length() != 1 || !strings.Contains(p.text("[data-testid=flash]"), "Register its key pair") {
		t.Fatalf("landed on %s", excerpt(p.Body))
	}

	ts.get("/tokens/new/oauth2")
	f := oauthForm("Reports", emu, "client_credentials", oauthtest.PrivateKeyJWT)
	f.Del("client_secret")
	saved = ts.post("/tokens/new/oauth2", f)
	wantRedirect(t, saved, "/tokens/"+itoa(tokenIDByName(t, ts, "Reports")))

	// An edit that makes a key pair lands there too; a shared secret does not.
	ts.get("/tokens/new/redox-oauth")
	hsForm := redoxOAuthForm("HS Feed", "hs384")
	hsForm.Set("shared_secret", "a-shared-secret-0123456789")
	wantRedirect(t, ts.post("/tokens/new/redox-oauth", hsForm), "/tokens")
	hs := tokenIDByName(t, ts, "HS Feed")
	edit := ts.get("/tokens/" + itoa(hs))
	form := redoxOAuthForm("HS Feed", "rs384")
	version, _ := edit.Doc.Find("input[name=version]").Attr("value")
	form.Set("version", version)
	wantRedirect(t, ts.post("/tokens/"+itoa(hs), form), "/tokens/"+itoa(hs))
}

// Issue 18 item 13: an app ticked while "Every app" is still chosen is a
// choice of that app, in one try (the form posts what the browser shows:
// "Every app" and a tick). Moving back to "Every app" opens the token to
// every app, whatever boxes the form still shows ticked.
func TestPermissionsTickChoosesTheApp(t *testing.T) {
	w := newAppWorld(t)
	g := saveRedox(t, w.testServer, "/tokens", "Shared Feed")
	perms := "/tokens/" + itoa(g) + "/permissions"
	alphaKey := createClient(t, w.dee, "/apps/"+itoa(w.alpha)+"/clients", "Alpha job")
	betaKey := createClient(t, w.eve, "/apps/"+itoa(w.beta)+"/clients", "Beta job")
	fetch := func(key string) int { t.Helper(); return apiGet(t, w.testServer, key, "Shared Feed").Status }

	page := w.get(perms)
	shown, _ := page.Doc.Find("input[name=shown]").Attr("value")
	if _, every := page.Doc.Find("[data-testid=access-every]").Attr("checked"); !every {
		t.Fatal("the form does not open on “Every app”")
	}
	wantRedirect(t, w.post(perms, url.Values{"shown": {shown}, "access": {"every"}, "app": {itoa(w.alpha)}}), perms)
	after := w.get(perms)
	if !strings.Contains(after.text("[data-testid=flash]"), "Only the chosen app may use") {
		t.Fatalf("flash %q", after.text("[data-testid=flash]"))
	}
	if _, chosen := after.Doc.Find("[data-testid=access-chosen]").Attr("checked"); !chosen || fetch(alphaKey) != 200 || fetch(betaKey) != 404 {
		t.Fatal("the ticked app was dropped")
	}

	// From "Only the chosen apps" back to "Every app", Alpha still ticked.
	shown, _ = after.Doc.Find("input[name=shown]").Attr("value")
	wantRedirect(t, w.post(perms, url.Values{"shown": {shown}, "access": {"every"}, "app": {itoa(w.alpha)}}), perms)
	if fetch(betaKey) != 200 {
		t.Fatal("choosing Every app did not open the token")
	}
}

// Issue 18 item 16: a token's page marks its times for the reader's time
// zone (app.js rewrites them), with the exact second on hover; without
// JavaScript they read in UTC.
func TestTokenPageTimesAreLocal(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	id := saveRedox(t, ts, "/tokens", "Lab Feed")
	page := ts.get("/tokens/" + itoa(id))
	for sel, iso := range map[string]string{
		"[data-testid=last-renewed]": "2026-11-22T09:00:00Z",
		"[data-testid=next-renewal]": "2026-11-22T10:00:00Z",
		"[data-testid=expires]":      "2026-11-23T09:00:00Z",
	} {
		tm := page.Doc.Find(sel + " time[data-local]")
		at, _ := tm.Attr("datetime")
		title, _ := tm.Attr("title")
		if at != iso || !strings.HasSuffix(title, ":00 UTC") || strings.TrimSpace(tm.Text()) == "" {
			t.Errorf("%s: datetime %q, title %q, text %q", sel, at, title, tm.Text())
		}
	}
	// "Stored · changed … by …" too, its words intact.
	stored := page.Doc.Find("[data-testid=stored-secret]")
	if at, _ := stored.Find("time[data-local]").Attr("datetime"); at != "2026-11-22T09:00:00Z" ||
		strings.Join(strings.Fields(stored.Text()), " ") != "Stored · changed 2026-11-22 09:00 UTC by "+adminEmail {
		t.Errorf("stored secret: %q (%q)", stored.Text(), at)
	}
}

// Issue 18 item 20: on the OAuth 2.0 form the Redirect URI (registered at
// the service first) stands near the top; fields used with one choice only
// say so and name the control that decides (app.js hides them); the
// Authorization URL is marked required while Authorization Code is chosen.
func TestOAuthFormFieldsFollowTheChoices(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	form := ts.get("/tokens/new/oauth2")
	var labels []string
	form.Doc.Find("#token-form label[for]").Each(func(_ int, s *goquery.Selection) {
		labels = append(labels, strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s.Text()), "*")))
	})
	if len(labels) < 4 || labels[3] != "Redirect URI" {
		t.Fatalf("labels %v", labels)
	}
	for key, want := range map[string]string{
		"auth_url":      "Required when Grant Type is Authorization Code.",
		"client_secret": "Used when Client Authentication is HTTP Basic or In the request body.",
		"redirect_uri":  "Used when Grant Type is Authorization Code.",
		"pkce":          "Used when Grant Type is Authorization Code.",
	} {
		wrap := form.Doc.Find("#wrap-" + key)
		if got := wrap.Find("[data-testid=when-" + key + "]").Text(); got != want {
			t.Errorf("%s says %q", key, got)
		}
		if on, _ := wrap.Attr("data-when"); form.Doc.Find("#"+on).Is("select") != true {
			t.Errorf("%s depends on %q", key, on)
		}
	}
	if form.Doc.Find("#wrap-client_id[data-when]").Length() != 0 {
		t.Error("the Client ID depends on a choice")
	}
	authURL := form.Doc.Find("#wrap-auth_url")
	if mark := authURL.Find("label .req"); mark.Length() != 1 || mark.AttrOr("hidden", "none") != "none" || authURL.Find("#f-auth_url").AttrOr("aria-required", "") != "true" {
		t.Fatal("the Authorization URL is not marked required for Authorization Code")
	}

	// Client Credentials chosen (a rejected form): the mark is there for
	// the script, hidden.
	ts.get("/tokens/new/oauth2")
	p := ts.post("/tokens/new/oauth2", url.Values{"name": {"CC"}, "grant_type": {"client_credentials"}, "renewal_rate": {"disabled"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if _, hidden := p.Doc.Find("#wrap-auth_url label .req").Attr("hidden"); !hidden {
		t.Fatal("the Authorization URL is marked required for Client Credentials")
	}

	// Redox (OAuth 2.0): the Shared Secret is for HS384 only.
	if got := ts.get("/tokens/new/redox-oauth").text("[data-testid=when-shared_secret]"); got != "Required when Signing Method is HS384 shared secret." && !strings.HasPrefix(got, "Required when Signing Method is HS384") {
		t.Fatalf("Shared Secret says %q", got)
	}
}

// Issue 18 item 20: the setup page reports every error at once, the setup
// code's included, and a right code in a refused form stays usable.
func TestSetupReportsEveryError(t *testing.T) {
	ts := newTestServer(t, withoutUsers("ABCDE-FGHJK"))
	ts.get("/setup")
	for _, tc := range []struct{ code, want string }{
		{"", "Enter the setup code"},
		{"WRONG-CODE0", "That is not the setup code"},
	} {
		p := ts.post("/setup", url.Values{"code": {tc.code}, "email": {"not an address"}, "password": {"short"}})
		wantStatus(t, p, http.StatusUnprocessableEntity)
		for _, field := range []string{"code", "email", "password"} {
			if p.text("[data-testid=error-"+field+"]") == "" {
				t.Errorf("code %q: no error beside %s", tc.code, field)
			}
		}
		if got := p.text("[data-testid=error-code]"); !strings.HasPrefix(got, tc.want) {
			t.Errorf("code %q: %q", tc.code, got)
		}
	}
	p := ts.post("/setup", url.Values{"code": {"ABCDE-FGHJK"}, "email": {"root@example.com"}, "password": {"short"}})
	if p.Doc.Find("[data-testid=error-code]").Length() != 0 || p.text("[data-testid=error-password]") == "" {
		t.Fatal("a right code refused beside a short password")
	}
	wantRedirect(t, ts.post("/setup", url.Values{"code": {"ABCDE-FGHJK"}, "email": {"root@example.com"}, "password": {"a long enough password"}}), "/tokens")
}

// Issue 18 item 20: a designer sees the status of each global token the app
// may use (administrators also get a link to it), and the app's own audit
// entries, read-only and scoped to the app.
func TestDesignersSeeTheirAppsTokensAndAudit(t *testing.T) {
	w := newAppWorld(t)
	failing := saveRedox(t, w.testServer, "/tokens", "Shared Feed")
	w.redox.SetFault(redoxtest.Fail500)
	w.get("/tokens/" + itoa(failing))
	w.post("/tokens/"+itoa(failing)+"/renew", nil)
	w.redox.SetFault(redoxtest.NoFault)
	saveRedox(t, w.dee, "/apps/"+itoa(w.alpha)+"/tokens", "Alpha Feed")
	saveRedox(t, w.eve, "/apps/"+itoa(w.beta)+"/tokens", "Beta Feed")

	app := w.dee.get("/apps/" + itoa(w.alpha))
	row := app.Doc.Find("[data-testid=usable-row]")
	if got := strings.TrimSpace(row.Find("[data-testid=usable-status]").Text()); got != "Renewal failing" {
		t.Fatalf("designer sees status %q", got)
	}
	if row.Find("a").Length() != 0 {
		t.Fatal("a designer is linked to a global token they may not open")
	}
	if href, _ := w.get("/apps/" + itoa(w.alpha)).Doc.Find("[data-testid=usable-row] [data-testid=usable-name] a").Attr("href"); href != "/tokens/"+itoa(failing) {
		t.Fatalf("administrator's link %q", href)
	}

	href, _ := app.Doc.Find("[data-testid=app-audit]").Attr("href")
	audit := w.dee.get(href)
	wantStatus(t, audit, http.StatusOK)
	var subjects []string
	audit.Doc.Find("[data-testid=audit-subject]").Each(func(_ int, s *goquery.Selection) { subjects = append(subjects, strings.TrimSpace(s.Text())) })
	joined := strings.Join(subjects, "|")
	if !strings.Contains(joined, "Alpha Feed") || strings.Contains(joined, "Beta Feed") || strings.Contains(joined, "Shared Feed") {
		t.Fatalf("Alpha's audit lists %v", subjects)
	}
	if audit.Doc.Find("form[method=post]").Length() != 1 { // Sign out only
		t.Fatal("the app's audit offers changes")
	}
	wantStatus(t, w.eve.get(href), http.StatusNotFound)
}
