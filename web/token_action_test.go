package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/provider/redox/redoxtest"
	"github.com/tokendesk/tokendesk/internal/provider/zoom/zoomtest"
)

func resultOf(p page, action string) (summary string, steps []string) {
	r := p.Doc.Find("[data-testid=result-" + action + "]")
	summary = strings.TrimSpace(r.Find("[data-testid=result-summary]").Text())
	r.Find("[data-testid=result-steps] li").Each(func(_ int, s *goquery.Selection) {
		steps = append(steps, strings.Join(strings.Fields(s.Text()), " "))
	})
	return summary, steps
}

func auditCount(t *testing.T, ts *testServer) int {
	t.Helper()
	entries, _, err := ts.store.ListAudit(t.Context(), 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// Get OAuth 2.0 Access Token on a new Redox token, without JavaScript:
// the form comes back with the result, the token is held sealed, and Save
// stores it. Neither token ever appears readable anywhere.
func TestRedoxGetTokenThenSave(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/redox")
	form := redoxForm("Lab Feed")
	form.Set("action", "get_token")
	p := ts.post("/tokens/new/redox", form)
	wantStatus(t, p, http.StatusOK)
	summary, steps := resultOf(p, "get_token")
	if summary != "Obtained an OAuth 2.0 access token from Redox, valid until 2026-11-23 09:00 UTC. Press Save to keep it." {
		t.Fatalf("summary %q", summary)
	}
	if len(steps) != 3 || !strings.Contains(steps[0], "POST "+ts.redoxURL+"/auth/authenticate → HTTP 200") ||
		!strings.HasPrefix(steps[1], "✓ Authentication succeeded") {
		t.Fatalf("steps %q", steps)
	}
	if got := p.text("[data-testid=stored-access_token]"); !strings.HasPrefix(got, "Obtained from Redox · expires 2026-11-23 09:00 UTC · not saved yet") {
		t.Fatalf("access token field says %q", got)
	}
	if countTokens(t, ts) != 0 {
		t.Fatal("Get OAuth 2.0 Access Token saved the token")
	}
	pending, _ := p.Doc.Find("input[name=pending]").Attr("value")
	if pending == "" {
		t.Fatal("obtained token not carried with the form")
	}

	// Save: the obtained token, its refresh token and expiry are stored.
	save := redoxForm("Lab Feed")
	save.Set("pending", pending)
	wantRedirect(t, ts.post("/tokens/new/redox", save), "/tokens")
	id := tokenIDByName(t, ts, "Lab Feed")
	values, _ := ts.store.TokenValues(t.Context(), id)
	access, refresh := values["access_token"], values["refresh_token"]
	if access == "" || refresh == "" {
		t.Fatalf("stored values %v", keys(values))
	}
	tok, _ := ts.store.TokenByID(t.Context(), id)
	if !tok.ExpiresAt.Equal(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)) || !tok.LastRenewedAt.Equal(ts.clock.Now()) {
		t.Fatalf("expiry %v, last renewed %v", tok.ExpiresAt, tok.LastRenewedAt)
	}
	// It is the token Redox issued: it works on Redox's API.
	if status := redoxEndpointStatus(t, ts.redoxURL, access); status != http.StatusOK {
		t.Fatalf("stored access token refused by Redox: %d", status)
	}

	// Never readable: not in any page, log line or audit entry.
	var bodies []string
	bodies = append(bodies, p.Body, pending)
	for _, path := range []string{"/tokens", "/tokens/" + itoa(id), "/audit"} {
		bodies = append(bodies, ts.get(path).Body)
	}
	entries, _, _ := ts.store.ListAudit(t.Context(), 1, 100)
	for _, e := range entries {
		bodies = append(bodies, e.Subject+strings.Join(e.Fields, ",")+e.Detail)
	}
	bodies = append(bodies, ts.logs.String())
	for i, b := range bodies {
		if strings.Contains(b, access) || strings.Contains(b, refresh) {
			t.Fatalf("source %d shows an obtained token", i)
		}
	}
	for _, c := range ts.client.Jar.Cookies(mustURL(ts.http.URL)) {
		if strings.Contains(c.Value, access) {
			t.Fatal("a cookie holds the access token")
		}
	}
}

// While editing, an empty Secret means the stored one; a failed Get keeps
// the stored token and changes nothing.
func TestRedoxGetTokenWhileEditing(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/redox")
	first := redoxForm("Lab Feed")
	first.Set("action", "get_token")
	p := ts.post("/tokens/new/redox", first)
	pending, _ := p.Doc.Find("input[name=pending]").Attr("value")
	first.Del("action")
	first.Set("pending", pending)
	wantRedirect(t, ts.post("/tokens/new/redox", first), "/tokens")
	id := tokenIDByName(t, ts, "Lab Feed")
	before, _ := ts.store.TokenValues(t.Context(), id)
	auditBefore := auditCount(t, ts)

	edit := redoxForm("Lab Feed")
	edit.Set("secret", "")
	edit.Set("version", "1")
	edit.Set("action", "get_token")
	ts.get("/tokens/" + itoa(id))
	ok := ts.post("/tokens/"+itoa(id), edit)
	wantStatus(t, ok, http.StatusOK)
	if s, _ := resultOf(ok, "get_token"); !strings.HasPrefix(s, "Obtained an OAuth 2.0 access token") {
		t.Fatalf("get with the stored secret: %q", s)
	}

	ts.redox.SetFault(redoxtest.Fail500)
	failed := ts.post("/tokens/"+itoa(id), edit)
	wantStatus(t, failed, http.StatusUnprocessableEntity)
	if s, _ := resultOf(failed, "get_token"); s != "Redox is failing (HTTP 500). Nothing was changed; try again later." {
		t.Fatalf("500 summary %q", s)
	}
	ts.redox.SetFault(redoxtest.NoFault)
	edit.Set("secret", "wrong-secret")
	rejected := ts.post("/tokens/"+itoa(id), edit)
	wantStatus(t, rejected, http.StatusUnprocessableEntity)
	if s, _ := resultOf(rejected, "get_token"); s != "Redox rejected the API Key and Secret (HTTP 401). Check both values in the Redox dashboard." {
		t.Fatalf("401 summary %q", s)
	}
	// The result stands beside the button.
	if rejected.Doc.Find("[data-testid=field-get_token] [data-testid=result-get_token]").Length() != 1 {
		t.Fatal("result not beside the button")
	}
	after, _ := ts.store.TokenValues(t.Context(), id)
	tok, _ := ts.store.TokenByID(t.Context(), id)
	if after["access_token"] != before["access_token"] || after["secret"] != redoxSecret || tok.Version != 1 || auditCount(t, ts) != auditBefore {
		t.Fatal("pressing Get OAuth 2.0 Access Token changed the stored token")
	}
}

func TestButtonsNeedTheirCredentials(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/redox")
	form := url.Values{"name": {""}, "environment": {"development"}, "renewal_rate": {"1h"}, "action": {"get_token"}}
	p := ts.post("/tokens/new/redox", form)
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if s, _ := resultOf(p, "get_token"); !strings.Contains(s, "needs the credentials marked above") {
		t.Fatalf("summary %q", s)
	}
	if p.text("[data-testid=error-api_key]") != "Enter the API Key from Redox." || p.text("[data-testid=error-secret]") != "Enter the Secret from Redox." {
		t.Fatal("credential errors not shown")
	}
	if p.text("[data-testid=error-name]") != "" {
		t.Fatal("the name is not needed to get a token")
	}
	if ts.redox.Calls("/auth/authenticate") != 0 {
		t.Fatal("called Redox without credentials")
	}
}

func TestZoomTestConnectionSavesNothing(t *testing.T) {
	ts := newTestServer(t)
	ts.zoom.SetDeprecated(false) // the documented screen, as Zoom took JWTs before 2023
	ts.signInAdmin()
	ts.get("/tokens/new/zoom")
	form := zoomForm("Meetings")
	form.Set("action", "test_connection")
	p := ts.post("/tokens/new/zoom", form)
	wantStatus(t, p, http.StatusOK)
	summary, steps := resultOf(p, "test_connection")
	if summary != "Connected to Zoom as Ada Lovelace <ada@zoom.example> in account zm-account-1." {
		t.Fatalf("summary %q", summary)
	}
	if len(steps) != 4 || !strings.Contains(steps[1], "GET "+ts.zoomURL+"/v2/users/me → HTTP 200") {
		t.Fatalf("steps %q", steps)
	}
	if countTokens(t, ts) != 0 {
		t.Fatal("Test Connection saved a token")
	}

	form.Set("api_secret", "wrong-secret-1")
	bad := ts.post("/tokens/new/zoom", form)
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	if s, _ := resultOf(bad, "test_connection"); !strings.HasPrefix(s, "Zoom did not accept the token signed with this API Key and API Secret (code 124, HTTP 401).") {
		t.Fatalf("bad secret: %q", s)
	}

	// On a saved token: the stored secret is used, and nothing changes.
	wantRedirect(t, ts.post("/tokens/new/zoom", zoomForm("Meetings")), "/tokens")
	id := tokenIDByName(t, ts, "Meetings")
	auditBefore := auditCount(t, ts)
	edit := zoomForm("Meetings Renamed")
	edit.Set("api_secret", "")
	edit.Set("version", "1")
	edit.Set("action", "test_connection")
	p = ts.post("/tokens/"+itoa(id), edit)
	wantStatus(t, p, http.StatusOK)
	tok, _ := ts.store.TokenByID(t.Context(), id)
	if tok.Name != "Meetings" || tok.Version != 1 || auditCount(t, ts) != auditBefore {
		t.Fatal("Test Connection saved the edit")
	}

	ts.zoom.SetFault(zoomtest.Hang)
	ts.srv.HTTPClient.Timeout = 300 * time.Millisecond // the 10 s default is tested in the client
	hung := ts.post("/tokens/"+itoa(id), edit)
	wantStatus(t, hung, http.StatusUnprocessableEntity)
	if s, _ := resultOf(hung, "test_connection"); !strings.Contains(s, "no answer from "+strings.TrimPrefix(ts.zoomURL, "http://")) {
		t.Fatalf("hang: %q", s)
	}
}

// Issue 10 item 3: the JWT screen keeps its documented fields but says
// that Zoom retired JWT apps, and Test Connection shows what real Zoom
// answers today.
func TestZoomJWTScreenSaysItIsRetired(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	p := ts.get("/tokens/new/zoom")
	if n := p.text("[data-testid=provider-notice]"); !strings.Contains(n, "Zoom retired JWT apps in 2023") || !strings.Contains(n, "Zoom (Server-to-Server OAuth)") {
		t.Fatalf("notice %q", n)
	}
	if p.Doc.Find("label[for]:contains('API Secret')").Length() != 1 {
		t.Fatal("the documented fields are gone")
	}
	if d := ts.get("/tokens/new").text(`[data-testid=provider-choices]`); !strings.Contains(d, "Retired by Zoom in 2023") {
		t.Fatalf("picker does not mark the JWT card retired: %q", d)
	}
	form := zoomForm("Meetings")
	form.Set("action", "test_connection")
	res := ts.post("/tokens/new/zoom", form)
	wantStatus(t, res, http.StatusUnprocessableEntity)
	if s, _ := resultOf(res, "test_connection"); !strings.Contains(s, "Zoom retired JWT apps in 2023") {
		t.Fatalf("summary %q", s)
	}
}

// Issue 10 items 3 and 4 through the router: 4711 is a success with a
// warning; 429 names the wait.
func TestZoomServerToServerScopeWarningAndThrottling(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/zoom-s2s")
	form := url.Values{"name": {"Zoom S2S"}, "region": {"zoom"}, "account_id": {zoomAccount}, "client_id": {zoomClient}, "client_secret": {zoomClientSecret}, "renewal_rate": {"1h"}, "action": {"test_connection"}}
	ts.zoom.SetScopes(zoomClient, "meeting:write:admin")
	p := ts.post("/tokens/new/zoom-s2s", form)
	wantStatus(t, p, http.StatusOK)
	if s, _ := resultOf(p, "test_connection"); s != "Connected to Zoom: the credentials are valid and an access token was obtained." {
		t.Fatalf("4711 summary %q", s)
	}
	if w := p.text("[data-testid=result-test_connection] [data-testid=result-warning]"); !strings.Contains(w, "lacks a user-read scope") {
		t.Fatalf("warning %q", w)
	}
	ts.zoom.SetFault(zoomtest.Throttle)
	p = ts.post("/tokens/new/zoom-s2s", form)
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if s, _ := resultOf(p, "test_connection"); s != "Zoom is limiting requests; try again in 30 s." {
		t.Fatalf("429 summary %q", s)
	}
}

func TestZoomServerToServer(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/zoom-s2s")
	form := url.Values{"name": {"Zoom S2S"}, "region": {"zoom"}, "account_id": {zoomAccount}, "client_id": {zoomClient}, "client_secret": {zoomClientSecret}, "renewal_rate": {"1h"}}
	form.Set("action", "test_connection")
	p := ts.post("/tokens/new/zoom-s2s", form)
	if s, _ := resultOf(p, "test_connection"); !strings.HasPrefix(s, "Connected to Zoom as Ada Lovelace") {
		t.Fatalf("test connection: %q", s)
	}
	form.Set("action", "get_token")
	p = ts.post("/tokens/new/zoom-s2s", form)
	wantStatus(t, p, http.StatusOK)
	pending, _ := p.Doc.Find("input[name=pending]").Attr("value")
	form.Del("action")
	form.Set("pending", pending)
	wantRedirect(t, ts.post("/tokens/new/zoom-s2s", form), "/tokens")
	id := tokenIDByName(t, ts, "Zoom S2S")
	values, _ := ts.store.TokenValues(t.Context(), id)
	if !zoomAccepts(t, ts.zoomURL, values["access_token"]) {
		t.Fatal("stored S2S token does not work on Zoom")
	}
	tok, _ := ts.store.TokenByID(t.Context(), id)
	if !tok.ExpiresAt.Equal(ts.clock.Now().Add(time.Hour)) {
		t.Fatalf("expiry %v", tok.ExpiresAt)
	}
}

// With JavaScript, htmx posts the button and swaps in just the result,
// plus the sealed grant and the field it filled, out of band.
func TestButtonsAnswerHtmxWithAFragment(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/redox")
	form := redoxForm("Lab Feed")
	form.Set("action", "get_token")
	form.Set("_csrf", ts.csrf())
	p := htmxPost(ts, "/tokens/new/redox", form)
	wantStatus(t, p, http.StatusOK)
	if p.Doc.Find("html form").Length() != 0 && p.Doc.Find("form#token-form").Length() != 0 {
		t.Fatal("htmx got a whole page")
	}
	if s, _ := resultOf(p, "get_token"); !strings.HasPrefix(s, "Obtained an OAuth 2.0 access token") {
		t.Fatalf("fragment summary %q", s)
	}
	if oob, _ := p.Doc.Find("input#pending").Attr("hx-swap-oob"); oob != "true" {
		t.Fatal("no out-of-band sealed grant")
	}
	if p.Doc.Find("#wrap-access_token[hx-swap-oob=true] [data-testid=stored-access_token]").Length() != 1 {
		t.Fatal("the access token field is not updated out of band")
	}
	// A refusal is also a 200 fragment (htmx swaps only 2xx), saying what went wrong.
	form.Set("secret", "wrong-secret")
	p = htmxPost(ts, "/tokens/new/redox", form)
	wantStatus(t, p, http.StatusOK)
	if s, _ := resultOf(p, "get_token"); !strings.HasPrefix(s, "Redox rejected") {
		t.Fatalf("refusal fragment %q", s)
	}
	// The button is wired for htmx and still works as a plain submit button.
	button := ts.get("/tokens/new/redox").Doc.Find("[data-testid=action-get_token]")
	if typ, _ := button.Attr("type"); typ != "submit" {
		t.Fatal("the button is not a plain submit button")
	}
	if post, _ := button.Attr("hx-post"); post != "/tokens/new/redox" {
		t.Fatalf("hx-post %q", post)
	}
	if button.Find(".spinner").Length() != 1 {
		t.Fatal("no progress indicator")
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func mustURL(s string) *url.URL {
	u, _ := url.Parse(s)
	return u
}

func countTokens(t *testing.T, ts *testServer) int {
	t.Helper()
	toks, _, err := ts.store.ListTokens(t.Context(), storeFilter())
	if err != nil {
		t.Fatal(err)
	}
	return len(toks)
}

// redoxEndpointStatus calls Redox's Data Model API with a bearer token.
func redoxEndpointStatus(t *testing.T, base, token string) int {
	t.Helper()
	body := `{"Meta":{"DataModel":"PatientAdmin","EventType":"NewPatient","Test":true,"Destinations":[{"ID":"d1","Name":"Redox EMR"}]}}`
	req, _ := http.NewRequest(http.MethodPost, base+"/endpoint", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// zoomAccepts reports whether Zoom's API accepts a bearer token.
func zoomAccepts(t *testing.T, base, token string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/v2/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// htmxPost posts a form the way htmx does.
func htmxPost(ts *testServer, path string, form url.Values) page {
	req, _ := http.NewRequest(http.MethodPost, ts.http.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	return ts.do(req)
}

func TestFormatTook(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "", 42 * time.Millisecond: "42 ms", 10 * time.Second: "10.0 s", 1500 * time.Millisecond: "1.5 s"} {
		if got := formatTook(d); got != want {
			t.Errorf("formatTook(%v) = %q, want %q", d, got, want)
		}
	}
}
