package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/config"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
)

const (
	deeEmail         = "dee@example.com" // designs Alpha
	eveEmail         = "eve@example.com" // designs Beta
	designerPassword = "designer password 1"
)

// appWorld is a server with two apps and a designer for each.
type appWorld struct {
	*testServer
	alpha, beta int64
	dee, eve    *testServer // their browsers
}

func newAppWorld(t *testing.T) *appWorld {
	t.Helper()
	ts := newTestServer(t)
	ts.signInAdmin()
	dee := ts.addUser(deeEmail, designerPassword, store.RoleDesigner)
	eve := ts.addUser(eveEmail, designerPassword, store.RoleDesigner)
	w := &appWorld{testServer: ts}
	w.alpha = w.createApp("Alpha", dee.ID)
	w.beta = w.createApp("Beta", eve.ID)
	w.dee, w.eve = newTestServerClient(ts), newTestServerClient(ts)
	w.dee.signIn(deeEmail, designerPassword)
	w.eve.signIn(eveEmail, designerPassword)
	return w
}

func (w *appWorld) createApp(name string, designers ...int64) int64 {
	w.t.Helper()
	form := url.Values{"name": {name}, "kind": {"process"}}
	for _, d := range designers {
		form.Add("designer", itoa(d))
	}
	w.get("/apps")
	p := w.post("/apps/new", form)
	if p.StatusCode != http.StatusSeeOther {
		w.t.Fatalf("create app %s: %d", name, p.StatusCode)
	}
	return mustAtoi(w.t, strings.TrimPrefix(p.Header.Get("Location"), "/apps/"))
}

// createClient makes an API client in base ("/clients" or "/apps/N/clients")
// and returns its key, read from the page that shows it once.
func createClient(t testing.TB, ts *testServer, base, name string) string {
	t.Helper()
	ts.get(base)
	wantRedirect(t, ts.post(base, url.Values{"name": {name}}), base+"/created")
	key := ts.get(base + "/created").text("[data-testid=key]")
	if !strings.HasPrefix(key, store.KeyPrefix) {
		t.Fatalf("no key shown: %q", key)
	}
	return key
}

type apiAnswer struct {
	Status int
	Header http.Header
	Token  map[string]any
	Error  struct{ Code, Message string }
}

func apiGet(t *testing.T, ts *testServer, key, name string) apiAnswer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.http.URL+"/api/v1/tokens/"+url.PathEscape(name), nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	a := apiAnswer{Status: resp.StatusCode, Header: resp.Header}
	if resp.StatusCode == http.StatusOK {
		json.Unmarshal(body, &a.Token)
	} else {
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatalf("error answer is not JSON: %s", body)
		}
		a.Error = e.Error
	}
	return a
}

// saveRedox creates a Redox token in base with an obtained access token.
func saveRedox(t testing.TB, ts *testServer, base, name string) int64 {
	t.Helper()
	ts.get(base + "/new/redox")
	form := redoxForm(name)
	form.Set("action", "get_token")
	p := ts.post(base+"/new/redox", form)
	wantStatus(t, p, http.StatusOK)
	pending, _ := p.Doc.Find("input[name=pending]").Attr("value")
	form.Del("action")
	form.Set("pending", pending)
	wantRedirect(t, ts.post(base+"/new/redox", form), base)
	list := ts.get(base)
	var id int64
	list.Doc.Find("[data-testid=token-row]").Each(func(_ int, row *goquery.Selection) {
		if strings.TrimSpace(row.Find("[data-testid=token-name]").Text()) == name {
			v, _ := row.Find("input[name=id]").Attr("value")
			id = mustAtoi(t, v)
		}
	})
	if id == 0 {
		t.Fatalf("%s not listed in %s", name, base)
	}
	return id
}

func TestDesignerKeepsTheirAppsTokens(t *testing.T) {
	w := newAppWorld(t)
	// A designer lands in the App Builder, which lists only their apps.
	wantRedirect(t, w.dee.get("/"), "/apps")
	builder := w.dee.get("/apps")
	if builder.text("h1") != "App Builder" {
		t.Fatalf("designer heading %q", builder.text("h1"))
	}
	var names []string
	builder.Doc.Find("[data-testid=app-name]").Each(func(_ int, s *goquery.Selection) { names = append(names, s.Text()) })
	if strings.Join(names, ",") != "Alpha" {
		t.Fatalf("dee sees apps %v", names)
	}
	if builder.Doc.Find("[data-testid=nav-tokens]").Length() != 0 {
		t.Fatal("a designer is offered the global Access Tokens")
	}

	// Following links: app → Access Tokens → Add Token → Redox.
	app := w.dee.get("/apps/" + itoa(w.alpha))
	tokensURL, _ := app.Doc.Find("[data-testid=app-tokens]").Attr("href")
	list := w.dee.get(tokensURL)
	if list.text("h1") != "Alpha · Access Tokens" {
		t.Fatalf("heading %q", list.text("h1"))
	}
	add, _ := list.Doc.Find("[data-testid=add-token]").Attr("href")
	redox, _ := w.dee.get(add).Doc.Find(`[data-testid=provider-choices] a:contains("Redox")`).Attr("href")
	if form := w.dee.get(redox); form.text("h1") != "Redox Access Token" {
		t.Fatalf("form %q", form.text("h1"))
	}
	id := saveRedox(t, w.dee, tokensURL, "Lab Feed")

	// Names are unique within an app, not across apps or with global tokens.
	w.dee.get(tokensURL + "/new/zoom")
	dup := w.dee.post(tokensURL+"/new/zoom", zoomForm("LAB FEED"))
	wantStatus(t, dup, http.StatusUnprocessableEntity)
	if !strings.Contains(dup.text("[data-testid=error-name]"), "An access token of Alpha named") {
		t.Fatalf("duplicate message %q", dup.text("[data-testid=error-name]"))
	}
	saveRedox(t, w.eve, "/apps/"+itoa(w.beta)+"/tokens", "Lab Feed")
	saveRedox(t, w.testServer, "/tokens", "Lab Feed")

	// Eve, designer of another app, cannot see or touch Alpha's token.
	for _, path := range []string{"/apps/" + itoa(w.alpha), tokensURL, tokensURL + "/" + itoa(id), tokensURL + "/remove?id=" + itoa(id), "/apps/" + itoa(w.alpha) + "/clients"} {
		wantStatus(t, w.eve.get(path), http.StatusNotFound)
	}
	// Not through her own app's URLs either.
	wantStatus(t, w.eve.get("/apps/"+itoa(w.beta)+"/tokens/"+itoa(id)), http.StatusNotFound)
	w.eve.get("/apps/" + itoa(w.beta) + "/tokens")
	wantRedirect(t, w.eve.post("/apps/"+itoa(w.beta)+"/tokens/remove", url.Values{"id": {itoa(id)}}), "/apps/"+itoa(w.beta)+"/tokens")
	if _, err := w.store.TokenByID(t.Context(), id); err != nil {
		t.Fatal("another app's designer removed Alpha's token")
	}
	// Designers see the global tokens their app may use: names, types, descriptions.
	usable := w.dee.get("/apps/" + itoa(w.alpha))
	if usable.text("[data-testid=usable-name]") != "Lab Feed" || strings.Contains(usable.Body, redoxSecret) {
		t.Fatalf("usable global tokens: %q", usable.text("[data-testid=usable-table]"))
	}
	if usable.Doc.Find("[data-testid=usable-table] a").Length() != 0 {
		t.Fatal("designers get links into global token settings")
	}
}

func TestRuntimeAPI(t *testing.T) {
	w := newAppWorld(t)
	alphaTokens := "/apps/" + itoa(w.alpha) + "/tokens"
	globalID := saveRedox(t, w.testServer, "/tokens", "Shared Feed")
	saveRedox(t, w.testServer, "/tokens", "Restricted")
	appID := saveRedox(t, w.dee, alphaTokens, "Shared Feed") // shadows the global one for Alpha
	w.get("/tokens/new/zoom")
	wantRedirect(t, w.post("/tokens/new/zoom", zoomForm("Meetings")), "/tokens")

	alphaKey := createClient(t, w.dee, "/apps/"+itoa(w.alpha)+"/clients", "Alpha processes")
	betaKey := createClient(t, w.eve, "/apps/"+itoa(w.beta)+"/clients", "Beta forms")
	globalKey := createClient(t, w.testServer, "/clients", "Reporting job")

	// Only a hash of the key is stored.
	if c, err := w.store.ClientByKey(t.Context(), alphaKey); err != nil || c.Name != "Alpha processes" {
		t.Fatal("key not found by its hash")
	}
	if strings.Contains(w.get("/apps/"+itoa(w.alpha)+"/clients").Body, alphaKey) {
		t.Fatal("the key is shown again")
	}

	// Shadowing: Alpha gets its own token; Beta and the global client the global one.
	appValues, _ := w.store.TokenValues(t.Context(), appID)
	globalValues, _ := w.store.TokenValues(t.Context(), globalID)
	a := apiGet(t, w.testServer, alphaKey, "shared feed")
	if a.Status != 200 || a.Token["access_token"] != appValues["access_token"] || a.Token["scope"] != "app" || a.Token["name"] != "Shared Feed" ||
		a.Token["provider"] != "redox" || a.Token["token_type"] != "Bearer" || a.Token["expires_at"] != "2026-11-23T09:00:00Z" {
		t.Fatalf("alpha: %d %v", a.Status, a.Token)
	}
	if a.Header.Get("Cache-Control") != "no-store" {
		t.Fatal("token answers may be cached")
	}
	for _, key := range []string{betaKey, globalKey} {
		if b := apiGet(t, w.testServer, key, "Shared Feed"); b.Status != 200 || b.Token["access_token"] != globalValues["access_token"] || b.Token["scope"] != "global" {
			t.Fatalf("global token: %d %v", b.Status, b.Token)
		}
	}

	// Zoom JWT: retired by Zoom, so no JWT (which Zoom refuses) but a 410
	// naming the replacement (api_zoom_test.go).
	if z := apiGet(t, w.testServer, betaKey, "Meetings"); z.Status != http.StatusGone || z.Error.Code != "retired" {
		t.Fatalf("zoom: %d %v", z.Status, z.Error)
	}

	// Permission settings: restrict the global token to Alpha; Beta gets the
	// same 404 as for a token that does not exist.
	w.get("/tokens/" + itoa(globalID) + "/permissions")
	wantRedirect(t, w.post("/tokens/"+itoa(globalID)+"/permissions", url.Values{"app": {itoa(w.alpha)}}), "/tokens/"+itoa(globalID)+"/permissions")
	denied := apiGet(t, w.testServer, betaKey, "Shared Feed")
	missing := apiGet(t, w.testServer, betaKey, "No Such Token")
	if denied.Status != 404 || missing.Status != 404 || denied.Error.Code != "not_found" ||
		strings.Replace(denied.Error.Message, "Shared Feed", "X", 1) != strings.Replace(missing.Error.Message, "No Such Token", "X", 1) {
		t.Fatalf("denied %+v, missing %+v", denied, missing)
	}
	if p := w.eve.get("/apps/" + itoa(w.beta)); strings.Contains(p.text("[data-testid=usable-table]"), "Shared Feed") {
		t.Fatal("Beta's page still lists a token it may no longer use")
	}

	// Bad and revoked keys: 401.
	if r := apiGet(t, w.testServer, "", "Shared Feed"); r.Status != 401 || r.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("no key: %d", r.Status)
	}
	if r := apiGet(t, w.testServer, "tdk_not-a-key", "Shared Feed"); r.Status != 401 || r.Error.Code != "unauthorized" {
		t.Fatalf("bad key: %+v", r)
	}
	clients, _ := w.store.ListClients(t.Context(), w.beta)
	list := w.eve.get("/apps/" + itoa(w.beta) + "/clients")
	revoke, _ := list.Doc.Find("[data-testid=revoke]").Attr("href")
	revokePage := w.eve.get(revoke)
	if !strings.Contains(revokePage.text("[data-testid=revoke-confirm]"), "stops working at once") {
		t.Fatal("no confirmation before revoking a key")
	}
	if r := apiGet(t, w.testServer, betaKey, "Restricted"); r.Status != 200 {
		t.Fatalf("revoked before confirming: %d", r.Status)
	}
	wantRedirect(t, w.eve.post("/apps/"+itoa(w.beta)+"/clients/"+itoa(clients[0].ID)+"/revoke", nil), "/apps/"+itoa(w.beta)+"/clients")
	if r := apiGet(t, w.testServer, betaKey, "Restricted"); r.Status != 401 {
		t.Fatalf("revoked key: %d", r.Status)
	}

	// App Associations: who fetched the global token, shown before a delete.
	if err := w.srv.FlushUsage(t.Context()); err != nil {
		t.Fatal(err)
	}
	perm := w.get("/tokens/" + itoa(globalID) + "/permissions")
	var assoc []string
	perm.Doc.Find("[data-testid=association-row]").Each(func(_ int, s *goquery.Selection) {
		var cells []string
		s.Find("td").Each(func(_ int, td *goquery.Selection) { cells = append(cells, td.Text()) })
		assoc = append(assoc, strings.Join(cells, "|"))
	})
	if len(assoc) != 2 || !strings.Contains(strings.Join(assoc, ";"), "Beta|1|") || !strings.Contains(strings.Join(assoc, ";"), "Global API clients|1|") {
		t.Fatalf("associations %v", assoc)
	}
	confirm := w.get("/tokens/remove?id=" + itoa(globalID))
	if !strings.Contains(confirm.text("[data-testid=in-use]"), "“Shared Feed” was fetched by Beta 1 time,") {
		t.Fatalf("remove confirmation does not warn: %q", confirm.text("[data-testid=in-use]"))
	}
	if lu := w.dee.get("/apps/" + itoa(w.alpha) + "/clients").text("[data-testid=client-last-used]"); lu != "2026-11-22 09:00 UTC" {
		t.Fatalf("client last used %q", lu)
	}
}

// An edit in the console is what the very next API call returns.
func TestEditIsVisibleOnTheNextCall(t *testing.T) {
	w := newAppWorld(t)
	id := saveRedox(t, w.testServer, "/tokens", "Live")
	key := createClient(t, w.testServer, "/clients", "Job")
	first := apiGet(t, w.testServer, key, "Live")
	w.get("/tokens/" + itoa(id))
	form := redoxForm("Live")
	form.Set("secret", "")
	form.Set("access_token", "pasted-by-hand-42")
	form.Set("version", "1")
	wantRedirect(t, w.post("/tokens/"+itoa(id), form), "/tokens")
	next := apiGet(t, w.testServer, key, "Live")
	if first.Token["access_token"] == next.Token["access_token"] || next.Token["access_token"] != "pasted-by-hand-42" {
		t.Fatalf("next call returned %v", next.Token["access_token"])
	}
	// Renaming applies at once too.
	form.Set("name", "Live Renamed")
	form.Set("access_token", "")
	form.Set("version", "2")
	wantRedirect(t, w.post("/tokens/"+itoa(id), form), "/tokens")
	if r := apiGet(t, w.testServer, key, "Live"); r.Status != 404 {
		t.Fatalf("old name still answers: %d", r.Status)
	}
	if r := apiGet(t, w.testServer, key, "Live Renamed"); r.Status != 200 {
		t.Fatalf("new name: %d", r.Status)
	}
}

// Pasting a token by hand after the obtained one expired: the old expiry
// and refresh token no longer apply, so the new token is served.
func TestHandPastedTokenAfterExpiry(t *testing.T) {
	w := newAppWorld(t)
	id := saveRedox(t, w.testServer, "/tokens", "Pasted")
	key := createClient(t, w.testServer, "/clients", "Job")
	w.clock.Advance(25 * time.Hour)
	// Issue 10 item 2: renewal did not keep up, so a fresh token is obtained
	// rather than the expired one served.
	if r := apiGet(t, w.testServer, key, "Pasted"); r.Status != http.StatusOK || !w.clock.Now().Before(expiresAt(t, r)) {
		t.Fatalf("expired token served: %d %v", r.Status, r.Token)
	}
	w.signInAdmin() // a day later the session has long ended
	w.get("/tokens/" + itoa(id))
	form := redoxForm("Pasted")
	form.Set("secret", "")
	form.Set("renewal_rate", "disabled")
	form.Set("access_token", "fresh-by-hand")
	form.Set("version", "1")
	wantRedirect(t, w.post("/tokens/"+itoa(id), form), "/tokens")
	// Nothing says when a pasted token expires, and an unknown expiry is
	// never "for ever" (issue 19 item 1): it is taken to live an hour.
	r := apiGet(t, w.testServer, key, "Pasted")
	if r.Status != 200 || r.Token["access_token"] != "fresh-by-hand" || !expiresAt(t, r).Equal(w.clock.Now().Add(token.AssumedLifetime).Truncate(time.Second)) {
		t.Fatalf("pasted token: %d %v", r.Status, r.Token)
	}
	values, _ := w.store.TokenValues(t.Context(), id)
	if _, ok := values["refresh_token"]; ok {
		t.Fatal("the old grant's refresh token was kept with a hand-pasted token")
	}
}

func TestAPIRefusesTokensWithoutAUsableAccessToken(t *testing.T) {
	w := newAppWorld(t)
	w.get("/tokens/new/redox")
	off := redoxForm("Never Obtained")
	off.Set("renewal_rate", "disabled")
	wantRedirect(t, w.post("/tokens/new/redox", off), "/tokens")
	key := createClient(t, w.testServer, "/clients", "Job")
	if r := apiGet(t, w.testServer, key, "Never Obtained"); r.Status != http.StatusConflict || !strings.Contains(r.Error.Message, "has no access token yet") {
		t.Fatalf("%+v", r)
	}
	id := saveRedox(t, w.testServer, "/tokens", "Expiring")
	// Renewal Disabled: tokendesk does not call Redox on its own, not even
	// for a consumer; the expired token is refused, never served.
	w.get("/tokens/" + itoa(id))
	off = redoxForm("Expiring")
	off.Set("secret", "")
	off.Set("renewal_rate", "disabled")
	off.Set("version", "1")
	wantRedirect(t, w.post("/tokens/"+itoa(id), off), "/tokens")
	w.clock.Advance(25 * time.Hour)
	if r := apiGet(t, w.testServer, key, "Expiring"); r.Status != http.StatusConflict || !strings.Contains(r.Error.Message, "expired") {
		t.Fatalf("%+v", r)
	}
}

func TestAPIRateLimitPerKey(t *testing.T) {
	ts := newTestServer(t, withConfig(func(c *config.Config) { c.APIRateLimit = 2 }))
	ts.signInAdmin()
	saveRedox(t, ts, "/tokens", "Busy")
	a := createClient(t, ts, "/clients", "A")
	b := createClient(t, ts, "/clients", "B")
	var limited *apiAnswer
	for i := 0; i < 10; i++ {
		r := apiGet(t, ts, a, "Busy")
		if r.Status == http.StatusTooManyRequests {
			limited = &r
			break
		}
		if r.Status != 200 {
			t.Fatalf("request %d: %d", i, r.Status)
		}
	}
	if limited == nil || limited.Header.Get("Retry-After") == "" || limited.Error.Code != "rate_limited" {
		t.Fatalf("no 429 with Retry-After: %+v", limited)
	}
	if r := apiGet(t, ts, b, "Busy"); r.Status != 200 {
		t.Fatalf("another key was limited too: %d", r.Status)
	}
}

func TestDeletingAnApplication(t *testing.T) {
	w := newAppWorld(t)
	alphaBase := "/apps/" + itoa(w.alpha)
	a1 := saveRedox(t, w.dee, alphaBase+"/tokens", "Alpha One")
	a2 := saveRedox(t, w.dee, alphaBase+"/tokens", "Alpha Two")
	b1 := saveRedox(t, w.eve, "/apps/"+itoa(w.beta)+"/tokens", "Beta One")
	g1 := saveRedox(t, w.testServer, "/tokens", "Global One")
	alphaKey := createClient(t, w.dee, alphaBase+"/clients", "Alpha job")
	betaKey := createClient(t, w.eve, "/apps/"+itoa(w.beta)+"/clients", "Beta job")
	apiGet(t, w.testServer, alphaKey, "Global One")
	apiGet(t, w.testServer, betaKey, "Global One")
	w.srv.FlushUsage(t.Context())
	w.get("/tokens/" + itoa(g1) + "/permissions")
	w.post("/tokens/"+itoa(g1)+"/permissions", url.Values{"app": {itoa(w.alpha), itoa(w.beta)}})

	// Refused while the setting is off.
	refused := w.get(alphaBase + "/delete")
	wantStatus(t, refused, http.StatusForbidden)
	if refused.Doc.Find("[data-testid=delete-refused]").Length() != 1 {
		t.Fatal("no explanation")
	}
	wantStatus(t, w.post(alphaBase+"/delete", nil), http.StatusForbidden)
	if _, err := w.store.AppByID(t.Context(), w.alpha); err != nil {
		t.Fatal("deleted while refused")
	}

	w.get("/settings")
	wantRedirect(t, w.post("/settings", url.Values{"allow_delete": {"on"}}), "/settings")
	confirm := w.get(alphaBase + "/delete")
	wantStatus(t, confirm, http.StatusOK)
	if got := confirm.text("[data-testid=delete-tokens]"); !strings.Contains(got, "Alpha One") || !strings.Contains(got, "Alpha Two") || strings.Contains(got, "Global One") {
		t.Fatalf("confirmation lists %q", got)
	}
	// Designers cannot delete.
	wantStatus(t, w.dee.post(alphaBase+"/delete", nil), http.StatusForbidden)

	wantRedirect(t, w.post(alphaBase+"/delete", nil), "/apps")
	for _, id := range []int64{a1, a2} {
		if _, err := w.store.TokenByID(t.Context(), id); err == nil {
			t.Fatal("an app-level token survived its app")
		}
	}
	for _, id := range []int64{b1, g1} {
		if _, err := w.store.TokenByID(t.Context(), id); err != nil {
			t.Fatal("another app's or a global token was deleted")
		}
	}
	if r := apiGet(t, w.testServer, alphaKey, "Global One"); r.Status != 401 {
		t.Fatalf("the deleted app's key still works: %d", r.Status)
	}
	if r := apiGet(t, w.testServer, betaKey, "Global One"); r.Status != 200 {
		t.Fatalf("another app's key broke: %d", r.Status)
	}
	assoc, _ := w.store.TokenAssociations(t.Context(), g1)
	if len(assoc) != 1 || assoc[0].AppName != "Beta" {
		t.Fatalf("associations after delete: %+v", assoc)
	}
	perms, _ := w.store.TokenPermissions(t.Context(), g1)
	if len(perms) != 1 || perms[0] != w.beta {
		t.Fatalf("permissions after delete: %v", perms)
	}
	wantStatus(t, w.dee.get(alphaBase), http.StatusNotFound)
}

func TestUsersPage(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/users")
	bad := ts.post("/users", url.Values{"new-email": {"not-an-email"}, "new-password": {"short"}, "role": {"designer"}})
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	if bad.text("[data-testid=error-new-email]") == "" || bad.text("[data-testid=error-new-password]") == "" {
		t.Fatal("no field messages")
	}
	wantRedirect(t, ts.post("/users", url.Values{"new-email": {"Fay@Example.com"}, "new-password": {"fay first password"}, "role": {"designer"}}), "/users")
	fay := newTestServerClient(ts)
	fay.signIn("fay@example.com", "fay first password")
	u, _ := ts.store.UserByEmail(t.Context(), "fay@example.com")

	// Reset password: her session ends, the new password works.
	ts.get("/users/" + itoa(u.ID))
	wantRedirect(t, ts.post("/users/"+itoa(u.ID)+"/password", url.Values{"password": {"fay second password"}}), "/users")
	if p := fay.get("/apps"); p.StatusCode != http.StatusSeeOther {
		t.Fatal("session survived a password reset")
	}
	fay.signIn("fay@example.com", "fay second password")

	// Deactivate: signed out, and cannot sign in.
	ts.get("/users/" + itoa(u.ID))
	wantRedirect(t, ts.post("/users/"+itoa(u.ID), url.Values{"role": {"designer"}}), "/users")
	if p := fay.get("/apps"); p.StatusCode != http.StatusSeeOther {
		t.Fatal("a deactivated user is still signed in")
	}
	fay.get("/login")
	if p := fay.post("/login", url.Values{"email": {"fay@example.com"}, "password": {"fay second password"}}); p.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a deactivated user signed in: %d", p.StatusCode)
	}

	// The last administrator cannot lock everyone out.
	admin, _ := ts.store.UserByEmail(t.Context(), adminEmail)
	ts.get("/users/" + itoa(admin.ID))
	p := ts.post("/users/"+itoa(admin.ID), url.Values{"role": {"designer"}, "active": {"on"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if !strings.Contains(p.text("[data-testid=form-problem]"), "last active administrator") {
		t.Fatalf("problem %q", p.text("[data-testid=form-problem]"))
	}
}

// A crafted form can only choose existing app designers.
func TestAppDesignersMustBeDesigners(t *testing.T) {
	w := newAppWorld(t)
	admin, _ := w.store.UserByEmail(t.Context(), adminEmail)
	w.get("/apps")
	p := w.post("/apps/new", url.Values{"name": {"Gamma"}, "kind": {"process"}, "designer": {"9999", itoa(admin.ID)}})
	wantStatus(t, p, http.StatusSeeOther)
	id := mustAtoi(t, strings.TrimPrefix(p.Header.Get("Location"), "/apps/"))
	app, err := w.store.AppByID(t.Context(), id)
	if err != nil || len(app.Designers) != 0 {
		t.Fatalf("designers %v, %v: want none", app.Designers, err)
	}
	w.get("/apps/" + itoa(w.alpha))
	wantRedirect(t, w.post("/apps/"+itoa(w.alpha), url.Values{"name": {"Alpha"}, "designer": {"424242"}}), "/apps/"+itoa(w.alpha))
}
