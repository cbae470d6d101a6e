package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/auth"
	"github.com/tokendesk/tokendesk/internal/provider/redox/redoxtest"
	"github.com/tokendesk/tokendesk/views"
)

// A designer signs in and sees their apps, under the one name the
// navigation and breadcrumbs use, never a "Not allowed" dead end.
func TestDesignersLandOnAppBuilder(t *testing.T) {
	w := newAppWorld(t)
	d := newTestServerClient(w.testServer)
	p := d.signIn(deeEmail, designerPassword)
	to := p.Header.Get("Location")
	for i := 0; i < 3 && to != "/apps"; i++ {
		p = d.get(to)
		if p.StatusCode != http.StatusSeeOther {
			t.Fatalf("after sign-in %s answers %d: %s", to, p.StatusCode, p.text("h1"))
		}
		to = p.Header.Get("Location")
	}
	if to != "/apps" {
		t.Fatalf("designer lands on %q", to)
	}
	apps := d.get("/apps")
	wantStatus(t, apps, http.StatusOK)
	if apps.text("h1") != "App Builder" || apps.text("[data-testid=nav-apps]") != "App Builder" {
		t.Fatalf("designer's first screen: %q / nav %q", apps.text("h1"), apps.text("[data-testid=nav-apps]"))
	}
	for _, path := range []string{"/apps/" + itoa(w.alpha), "/apps/" + itoa(w.alpha) + "/tokens", "/apps/" + itoa(w.alpha) + "/clients"} {
		crumb := d.get(path).text("nav[aria-label=Breadcrumb] li")
		if crumb != "App Builder" {
			t.Errorf("%s: first breadcrumb %q, want App Builder", path, crumb)
		}
	}
	// Administrators see the same name.
	if got := w.get("/tokens").text("[data-testid=nav-apps]"); got != "App Builder" {
		t.Errorf("administrator's nav says %q", got)
	}
	if got := w.get("/apps/" + itoa(w.alpha)).text("nav[aria-label=Breadcrumb] li"); got != "App Builder" {
		t.Errorf("administrator's breadcrumb says %q", got)
	}
	// A page a designer may not open leads back to their own first screen.
	denied := d.get("/users")
	wantStatus(t, denied, http.StatusForbidden)
	if href, _ := denied.Doc.Find("[data-testid=error-home]").Attr("href"); href != "/" || denied.text("[data-testid=error-home]") != "Back to App Builder" {
		t.Errorf("error page link %q %q", href, denied.text("[data-testid=error-home]"))
	}
}

// The navigation marks where you are, for screen readers and the eye.
func TestNavMarksTheCurrentPage(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	for path, want := range map[string]string{"/tokens": "/tokens", "/apps": "/apps", "/users": "/users", "/audit": "/audit", "/clients": "/clients", "/settings": "/settings"} {
		p := ts.get(path)
		cur := p.Doc.Find(`nav[aria-label=Main] a[aria-current="page"]`)
		if cur.Length() != 1 {
			t.Errorf("%s: %d nav items marked current", path, cur.Length())
			continue
		}
		if href, _ := cur.Attr("href"); href != want {
			t.Errorf("%s: current nav item is %s", path, href)
		}
		if n := p.Doc.Find(`nav[aria-label=Main] a[aria-current]`).Length(); n != 1 {
			t.Errorf("%s: %d nav items carry aria-current", path, n)
		}
	}
}

// Failures never look like successes.
func TestFailuresUseTheErrorStyle(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	createTestToken(t, ts, "Lab Feed")

	ts.get("/tokens")
	p := ts.get("/tokens/remove")
	wantRedirect(t, p, "/tokens")
	list := ts.get("/tokens")
	flash := list.Doc.Find("[data-testid=flash]")
	if !flash.HasClass("alert") || flash.HasClass("flash") || flash.AttrOr("role", "") != "alert" {
		t.Fatalf("“select at least one” shown as %q (class %q)", flash.Text(), flash.AttrOr("class", ""))
	}
	// A success is still shown as one.
	id := tokenIDByName(t, ts, "Lab Feed")
	ts.get("/tokens")
	wantRedirect(t, ts.post("/tokens/remove", url.Values{"id": {itoa(id)}}), "/tokens")
	if f := ts.get("/tokens").Doc.Find("[data-testid=flash]"); !f.HasClass("flash") || f.HasClass("alert") {
		t.Fatalf("success shown with class %q", f.AttrOr("class", ""))
	}
}

// A token that never got an access token fails to renew without claiming
// a previous one stays in place; the failure is shown as an error.
func TestFailedRenewNowIsAnError(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	id := createTestToken(t, ts, "Lab Feed") // saved without Get OAuth 2.0 Access Token
	ts.redox.SetFault(redoxtest.Fail500)
	ts.get("/tokens/" + itoa(id))
	wantRedirect(t, ts.post("/tokens/"+itoa(id)+"/renew", nil), "/tokens/"+itoa(id))
	page := ts.get("/tokens/" + itoa(id))
	flash := page.Doc.Find("[data-testid=flash]")
	if !flash.HasClass("alert") {
		t.Fatalf("failed renewal shown with class %q", flash.AttrOr("class", ""))
	}
	if txt := flash.Text(); !strings.Contains(txt, "failed") || strings.Contains(txt, "previous access token") {
		t.Fatalf("flash %q", txt)
	}
}

// Names that look the same are the same name: when saving, and when a
// consumer fetches a token by name.
func TestLookAlikeNamesAreOneName(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	saveRedox(t, ts, "/tokens", "Lab Feed")
	for _, name := range []string{"  Lab   Feed  ", "Ｌａｂ Ｆｅｅｄ"} {
		ts.get("/tokens/new/zoom")
		p := ts.post("/tokens/new/zoom", zoomForm(name))
		wantStatus(t, p, http.StatusUnprocessableEntity)
		if got := p.text("[data-testid=error-name]"); !strings.Contains(got, "already exists") {
			t.Errorf("%q: name error %q", name, got)
		}
		if v, _ := p.Doc.Find("#f-name").Attr("value"); v == "" {
			t.Errorf("%q: input not kept", name)
		}
	}
	if n := ts.get("/tokens").Doc.Find("[data-testid=token-row]").Length(); n != 1 {
		t.Fatalf("%d tokens saved", n)
	}

	_, key, err := ts.store.CreateClient(t.Context(), 0, "Reporting job", adminEmail)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Lab Feed", "lab  feed", " Lab Feed ", "Ｌａｂ　Ｆｅｅｄ"} {
		a := apiGet(t, ts, key, name)
		if a.Status != http.StatusOK || a.Token["name"] != "Lab Feed" {
			t.Errorf("fetching %q: %d %v %s", name, a.Status, a.Token["name"], a.Error.Message)
		}
	}
	// Search finds it the same way.
	if n := ts.get("/tokens?q=" + url.QueryEscape("ｌａｂ   ｆｅｅｄ")).Doc.Find("[data-testid=token-row]").Length(); n != 1 {
		t.Errorf("search by a look-alike finds %d", n)
	}
}

// The audit log reads as sentences, names its subject column for what it
// holds, links tokens that still exist and shows their scope.
func TestAuditLogReadsAsSentences(t *testing.T) {
	w := newAppWorld(t) // created apps Alpha and Beta
	globalID := saveRedox(t, w.testServer, "/tokens", "Lab Feed")
	appID := saveRedox(t, w.dee, "/apps/"+itoa(w.alpha)+"/tokens", "Alpha Feed")
	gone := saveRedox(t, w.testServer, "/tokens", "Old Feed")
	w.get("/tokens")
	wantRedirect(t, w.post("/tokens/remove", url.Values{"id": {itoa(gone)}}), "/tokens")

	p := w.get("/audit")
	if h := p.Doc.Find("[data-testid=audit-table] th").Eq(3).Text(); strings.EqualFold(h, "Token") || !strings.Contains(h, "app") {
		t.Errorf("subject column is called %q", h)
	}
	// Both loops below only look at rows that are there: make sure they are.
	actions := p.Doc.Find("[data-testid=audit-action]")
	if actions.Length() < 5 {
		t.Fatalf("%d audit entries shown after three saves, a removal and two apps", actions.Length())
	}
	actions.Each(func(_ int, s *goquery.Selection) {
		if a := s.Text(); strings.Contains(a, ".") || strings.Contains(a, "_") {
			t.Errorf("raw action code %q", a)
		}
	})
	var sawApp bool
	seen := map[string]bool{}
	p.Doc.Find("[data-testid=audit-row]").Each(func(_ int, row *goquery.Selection) {
		subject := row.Find("[data-testid=audit-subject]")
		name := strings.TrimSpace(subject.Contents().First().Text())
		seen[name] = true
		href, linked := subject.Find("a").Attr("href")
		scope := row.Find("[data-testid=audit-scope]").Text()
		switch name {
		case "Lab Feed":
			if href != "/tokens/"+itoa(globalID) || scope != "Redox · Global" {
				t.Errorf("Lab Feed: link %q scope %q", href, scope)
			}
		case "Alpha Feed":
			if href != "/apps/"+itoa(w.alpha)+"/tokens/"+itoa(appID) || scope != "Redox · App Alpha" {
				t.Errorf("Alpha Feed: link %q scope %q", href, scope)
			}
		case "Old Feed":
			if linked {
				t.Errorf("a removed token is linked: %q", href)
			}
		case "Alpha":
			sawApp = true
			if row.Find("[data-testid=audit-action]").Text() != "Created application" || href != "/apps/"+itoa(w.alpha) {
				t.Errorf("app row: %q %q", row.Find("[data-testid=audit-action]").Text(), href)
			}
		}
	})
	if !sawApp {
		t.Error("creating an app is not in the audit log")
	}
	for _, name := range []string{"Lab Feed", "Alpha Feed", "Old Feed"} {
		if !seen[name] {
			t.Errorf("no audit entry names %q", name)
		}
	}
}

// An app token that hides a global token of another system is saved with
// a warning, and the app's page says which global tokens are shadowed.
func TestShadowingAGlobalTokenIsVisible(t *testing.T) {
	w := newAppWorld(t)
	saveRedox(t, w.testServer, "/tokens", "Shared Feed")
	saveRedox(t, w.testServer, "/tokens", "Lab Feed")
	base := "/apps/" + itoa(w.alpha) + "/tokens"

	w.dee.get(base + "/new/zoom")
	wantRedirect(t, w.dee.post(base+"/new/zoom", zoomForm("shared  feed")), base)
	flash := w.dee.get(base).Doc.Find("[data-testid=flash]")
	if !flash.HasClass("alert-warn") || !strings.Contains(flash.Text(), "shadows the global token “Shared Feed” (Redox)") {
		t.Fatalf("no warning on save: %q (class %q)", flash.Text(), flash.AttrOr("class", ""))
	}
	// The same system under the same name is the documented override: no warning.
	saveRedox(t, w.dee, base, "Lab Feed")
	if f := w.dee.last.Find("[data-testid=flash]"); f.HasClass("alert-warn") {
		t.Fatalf("warned about a same-provider override: %q", f.Text())
	}

	page := w.dee.get("/apps/" + itoa(w.alpha))
	rows := page.Doc.Find("[data-testid=shadowed-row]")
	if rows.Length() != 2 {
		t.Fatalf("%d shadowed rows: %q", rows.Length(), page.text("[data-testid=shadowed]"))
	}
	var other []string
	rows.Each(func(_ int, r *goquery.Selection) {
		if r.Find("[data-testid=shadowed-other-provider]").Length() > 0 {
			other = append(other, strings.TrimSpace(r.Find("a").Text()))
		}
	})
	if len(other) != 1 || other[0] != "shared  feed" {
		t.Fatalf("other-provider shadows %q", other)
	}
	// Beta has no tokens of its own: nothing is shadowed there.
	if w.eve.get("/apps/"+itoa(w.beta)).Doc.Find("[data-testid=shadowed]").Length() != 0 {
		t.Fatal("Beta lists shadowed tokens")
	}
}

// The token list's toolbar: failing count, status filter, sorting,
// relative times, Edit Token for one selected row, Remove beside it.
func TestTokenListToolbar(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	saveRedox(t, ts, "/tokens", "Lab Feed")
	ts.clock.Advance(time.Hour)
	failing := saveRedox(t, ts, "/tokens", "Billing Feed")
	ts.clock.Advance(time.Hour)
	ts.get("/tokens/new/zoom")
	wantRedirect(t, ts.post("/tokens/new/zoom", zoomForm("Meetings")), "/tokens")
	ts.redox.SetFault(redoxtest.Fail500)
	ts.get("/tokens/" + itoa(failing))
	wantRedirect(t, ts.post("/tokens/"+itoa(failing)+"/renew", nil), "/tokens/"+itoa(failing))
	ts.redox.SetFault(redoxtest.NoFault)

	names := func(p page) []string {
		var out []string
		p.Doc.Find("[data-testid=token-name]").Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
		return out
	}
	list := ts.get("/tokens")
	count := list.Doc.Find("[data-testid=failing-count]")
	if got := strings.TrimSpace(count.Text()); !strings.HasPrefix(got, "1 token's renewal is failing") {
		t.Fatalf("failing count %q", got)
	}
	href, _ := count.Find("a").Attr("href")
	if got := names(ts.get(href)); strings.Join(got, "|") != "Billing Feed" {
		t.Fatalf("failing link %s lists %v", href, got)
	}
	// A Zoom JWT token shows "Retired by Zoom", and is filtered as it shows.
	if got := names(ts.get("/tokens?status=" + url.QueryEscape("Retired by Zoom"))); strings.Join(got, "|") != "Meetings" {
		t.Fatalf("Retired by Zoom lists %v", got)
	}
	if got := names(ts.get("/tokens?status=" + url.QueryEscape("Not renewed"))); len(got) != 0 {
		t.Fatalf("Not renewed lists %v", got)
	}
	if got := names(ts.get("/tokens?type=redox&status=" + url.QueryEscape("Retired by Zoom"))); len(got) != 0 {
		t.Fatalf("Redox tokens retired by Zoom: %v", got)
	}
	if got := names(ts.get("/tokens?status=Healthy")); strings.Join(got, "|") != "Lab Feed" {
		t.Fatalf("Healthy lists %v", got)
	}
	if got := names(ts.get("/tokens?status=nonsense")); len(got) != 3 {
		t.Fatalf("an unknown status filters: %v", got)
	}

	// Sorting: by name (default), type, last change; each way.
	for q, want := range map[string]string{
		"":                       "Billing Feed|Lab Feed|Meetings",
		"?dir=desc":              "Meetings|Lab Feed|Billing Feed",
		"?sort=type&dir=desc":    "Meetings|Lab Feed|Billing Feed",
		"?sort=changed":          "Lab Feed|Billing Feed|Meetings",
		"?sort=changed&dir=desc": "Meetings|Billing Feed|Lab Feed",
	} {
		p := ts.get("/tokens" + q)
		if got := strings.Join(names(p), "|"); got != want {
			t.Errorf("%q sorts %s, want %s", q, got, want)
		}
	}
	byName := ts.get("/tokens").Doc.Find("[data-testid=sort-name]")
	if o, _ := byName.Parent().Attr("aria-sort"); o != "ascending" {
		t.Errorf("name column aria-sort %q", o)
	}
	if h, _ := byName.Attr("href"); h != "/tokens?dir=desc" {
		t.Errorf("name header sorts to %q", h)
	}
	// A search keeps the order.
	if v, _ := ts.get("/tokens?sort=changed&dir=desc").Doc.Find("[data-testid=token-search] input[name=sort]").Attr("value"); v != "changed" {
		t.Errorf("search form drops the order: %q", v)
	}

	// Relative times, the exact one on hover.
	at := ts.get("/tokens").Doc.Find(`[data-testid=token-changed-at]`).First() // Billing Feed, saved an hour ago
	if at.Text() != "1 hour ago" || at.AttrOr("title", "") != "2026-11-22 10:00 UTC" || at.AttrOr("datetime", "") != "2026-11-22T10:00:00Z" {
		t.Errorf("time %q title %q datetime %q", at.Text(), at.AttrOr("title", ""), at.AttrOr("datetime", ""))
	}

	// Add, Edit and Remove sit together; Edit opens exactly one token.
	bar := list.Doc.Find(".toolbar-buttons")
	for _, id := range []string{"add-token", "edit-selected", "remove-selected"} {
		if bar.Find("[data-testid="+id+"]").Length() != 1 {
			t.Errorf("%s not in the toolbar", id)
		}
	}
	if list.Doc.Find("[data-search-key]#q").Length() != 1 {
		t.Error(`"/" has no search box to focus`)
	}
	wantRedirect(t, ts.get("/tokens/edit?id="+itoa(failing)), "/tokens/"+itoa(failing))
	wantRedirect(t, ts.get("/tokens/edit?id="+itoa(failing)+"&id=1"), "/tokens")
	flash := ts.get("/tokens").Doc.Find("[data-testid=flash]")
	if !flash.HasClass("alert") || !strings.Contains(flash.Text(), "Select exactly one token to edit; 2 tokens are selected.") {
		t.Errorf("edit with two selected: %q", flash.Text())
	}
}

// After Get OAuth 2.0 Access Token the field shows, masked, that a token
// is there (without the token); Cancel warns before discarding edits.
func TestObtainedTokenShowsMasked(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/redox")
	form := redoxForm("Lab Feed")
	form.Set("action", "get_token")
	p := ts.post("/tokens/new/redox", form)
	wantStatus(t, p, http.StatusOK)
	field := p.Doc.Find("#f-access_token")
	if field.AttrOr("type", "") != "password" || field.AttrOr("value", "x") != "" || !strings.HasPrefix(field.AttrOr("placeholder", ""), "••••") {
		t.Fatalf("access token field: type %q value %q placeholder %q", field.AttrOr("type", ""), field.AttrOr("value", ""), field.AttrOr("placeholder", ""))
	}
	if p.Doc.Find("form[data-warn-unsaved] [data-testid=cancel][data-confirm-discard]").Length() != 1 {
		t.Fatal("Cancel does not warn before discarding edits")
	}
}

// Counts read as English: "1 chosen app", not "1 chosen app(s)".
func TestPluralsReadRight(t *testing.T) {
	w := newAppWorld(t)
	id := saveRedox(t, w.testServer, "/tokens", "Lab Feed")
	w.get("/tokens/" + itoa(id) + "/permissions")
	wantRedirect(t, w.post("/tokens/"+itoa(id)+"/permissions", url.Values{"app": {itoa(w.alpha)}}), "/tokens/"+itoa(id)+"/permissions")
	if got := w.get("/tokens/" + itoa(id) + "/permissions").text("[data-testid=flash]"); got != "Only the chosen app may use “Lab Feed”." {
		t.Fatalf("flash %q", got)
	}
}

// Setup and Add user state the password rule before a failure and report
// every field's problem at once (the browser's one-bubble-at-a-time
// validation is off).
func TestPasswordRuleIsStatedUpFront(t *testing.T) {
	if views.MinPasswordLen != auth.MinPasswordLen {
		t.Fatalf("views says %d characters, auth requires %d", views.MinPasswordLen, auth.MinPasswordLen)
	}
	ts := newTestServer(t, withoutUsers("ABCDE-FGHJK"))
	setup := ts.get("/setup")
	wantStatus(t, setup, http.StatusOK)
	check := func(p page, form, field string) {
		t.Helper()
		if p.Doc.Find(form+"[novalidate]").Length() != 1 {
			t.Errorf("%s: the browser validates one field at a time", form)
		}
		if hint := p.text("[data-testid=hint-" + field + "]"); !strings.Contains(hint, "12 characters") {
			t.Errorf("%s: password rule %q", form, hint)
		}
		if d, _ := p.Doc.Find("#" + field).Attr("aria-describedby"); !strings.Contains(d, field+"-hint") {
			t.Errorf("%s: the rule is not tied to the field (%q)", form, d)
		}
	}
	check(setup, "[data-testid=setup-form]", "password")
	bad := ts.post("/setup", url.Values{"code": {"ABCDE-FGHJK"}, "email": {"not an email"}, "password": {"short"}})
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	if bad.text("[data-testid=error-email]") == "" || bad.text("[data-testid=error-password]") == "" {
		t.Fatal("setup does not show every field error at once")
	}

	admin := newTestServer(t)
	admin.signInAdmin()
	check(admin.get("/users"), "[data-testid=user-form]", "new-password")
}
