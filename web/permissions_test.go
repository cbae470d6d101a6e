package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// A restriction never widens by itself: not when the only permitted app is
// deleted, not when the form names an app that does not exist.
func TestPermissionSettingsNeverFailOpen(t *testing.T) {
	w := newAppWorld(t)
	g := saveRedox(t, w.testServer, "/tokens", "Shared Feed")
	perms := "/tokens/" + itoa(g) + "/permissions"
	alphaKey := createClient(t, w.dee, "/apps/"+itoa(w.alpha)+"/clients", "Alpha job")
	betaKey := createClient(t, w.eve, "/apps/"+itoa(w.beta)+"/clients", "Beta job")
	globalKey := createClient(t, w.testServer, "/clients", "Nightly export")
	fetch := func(key string) int { t.Helper(); return apiGet(t, w.testServer, key, "Shared Feed").Status }

	page := w.get(perms)
	if rule := page.text("[data-testid=global-clients-rule]"); !strings.Contains(rule, "Global API clients") || !strings.Contains(rule, "every global token") {
		t.Fatalf("the rule for global clients is not on the page: %q", rule)
	}
	// Each app is shown with the people who build with it.
	if got := page.Doc.Find("[data-testid=app-designers]").Map(func(_ int, s *goquery.Selection) string { return s.Text() }); strings.Join(got, ";") != "(designers: "+deeEmail+");(designers: "+eveEmail+")" {
		t.Fatalf("designers shown: %q", got)
	}
	wantRedirect(t, w.post(perms, url.Values{"access": {"chosen"}, "app": {itoa(w.alpha)}}), perms)
	if fetch(alphaKey) != 200 || fetch(betaKey) != 404 {
		t.Fatal("restriction to Alpha not applied")
	}

	// Unknown, deleted or malformed app ids: 422, the choice kept, nothing saved.
	for _, ids := range [][]string{{"987654"}, {itoa(w.beta), "987654"}, {"abc"}, {"-1"}} {
		w.get(perms)
		p := w.post(perms, url.Values{"access": {"chosen"}, "app": ids})
		wantStatus(t, p, http.StatusUnprocessableEntity)
		if p.text("[data-testid=error-app]") == "" {
			t.Fatalf("%v: no field error", ids)
		}
		if _, ok := p.Doc.Find("[data-testid=access-chosen]").Attr("checked"); !ok {
			t.Fatalf("%v: the choice was not kept", ids)
		}
		if fetch(betaKey) != 404 || fetch(alphaKey) != 200 {
			t.Fatalf("%v: permissions changed by a refused form", ids)
		}
	}
	// A form that says nothing does not open the token to every app.
	w.get(perms)
	wantStatus(t, w.post(perms, url.Values{}), http.StatusUnprocessableEntity)
	if fetch(betaKey) != 404 {
		t.Fatal("an empty form opened the token to every app")
	}

	// Deleting the only permitted app: the delete page says so, and
	// afterwards no app may use the token.
	w.get("/settings")
	w.post("/settings", url.Values{"allow_delete": {"on"}})
	confirm := w.get("/apps/" + itoa(w.alpha) + "/delete")
	if got := confirm.text("[data-testid=delete-only-for]"); !strings.Contains(got, "Shared Feed") || !strings.Contains(got, "no app may use them") {
		t.Fatalf("delete confirmation does not warn: %q", got)
	}
	done := w.post("/apps/"+itoa(w.alpha)+"/delete", nil)
	wantRedirect(t, done, "/apps")
	if flash := w.get("/apps").text("[role=status]"); !strings.Contains(flash, "No app may use “Shared Feed” now") {
		t.Fatalf("flash after delete: %q", flash)
	}
	if fetch(betaKey) != 404 {
		t.Fatal("deleting the only permitted app opened the token to every app")
	}
	after := w.get(perms)
	if _, ok := after.Doc.Find("[data-testid=access-chosen]").Attr("checked"); !ok || after.Doc.Find("input[name=app][checked]").Length() != 0 {
		t.Fatal("the page does not show the token restricted to no app")
	}
	// Global clients are not apps: the documented rule holds.
	if fetch(globalKey) != 200 {
		t.Fatal("a global API client lost a global token")
	}

	// Opening it again takes an explicit choice.
	wantRedirect(t, w.post(perms, url.Values{"access": {"every"}}), perms)
	if fetch(betaKey) != 200 {
		t.Fatal("“Every app” not applied")
	}
}

// Cutting off an app that fetched the token asks first, naming the app.
func TestCuttingOffAnAppAsksFirst(t *testing.T) {
	w := newAppWorld(t)
	g := saveRedox(t, w.testServer, "/tokens", "Shared Feed")
	perms := "/tokens/" + itoa(g) + "/permissions"
	betaKey := createClient(t, w.eve, "/apps/"+itoa(w.beta)+"/clients", "Beta job")
	if r := apiGet(t, w.testServer, betaKey, "Shared Feed"); r.Status != 200 {
		t.Fatalf("fetch: %d", r.Status)
	}
	if err := w.srv.FlushUsage(t.Context()); err != nil {
		t.Fatal(err)
	}

	// Restricting to Alpha would cut Beta off: asked, not saved.
	w.get(perms)
	ask := w.post(perms, url.Values{"access": {"chosen"}, "app": {itoa(w.alpha)}})
	wantStatus(t, ask, http.StatusOK)
	if got := ask.text("[data-testid=cut-off]"); !strings.Contains(got, "Beta") || strings.Contains(got, "Alpha") {
		t.Fatalf("confirmation names %q", got)
	}
	if r := apiGet(t, w.testServer, betaKey, "Shared Feed"); r.Status != 200 {
		t.Fatal("saved before confirmation")
	}
	// A confirmation that does not cover every app cut off asks again.
	again := w.post(perms, url.Values{"access": {"chosen"}, "app": {itoa(w.alpha)}, "confirm": {itoa(w.alpha)}})
	wantStatus(t, again, http.StatusOK)
	if !strings.Contains(again.text("[data-testid=cut-off]"), "Beta") {
		t.Fatal("a confirmation for other apps cut Beta off unasked")
	}
	// Confirming the form as shown saves it.
	form := url.Values{}
	form.Set("confirm", ask.Doc.Find("input[name=confirm]").AttrOr("value", ""))
	form.Set("access", "chosen")
	form.Set("app", itoa(w.alpha))
	wantRedirect(t, w.post(perms, form), perms)
	if r := apiGet(t, w.testServer, betaKey, "Shared Feed"); r.Status != 404 {
		t.Fatalf("Beta still fetches the token: %d", r.Status)
	}

	// Deleting Beta names what its clients were fetching.
	w.get("/settings")
	w.post("/settings", url.Values{"allow_delete": {"on"}})
	if got := w.get("/apps/" + itoa(w.beta) + "/delete").text("[data-testid=delete-in-use]"); !strings.Contains(got, "Shared Feed") || !strings.Contains(got, "1 fetch") {
		t.Fatalf("delete confirmation: %q", got)
	}
}
