package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/auth"
)

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func hashOf(v string) string { return auth.HashSessionID(v) }

// newTestServerClient is a second browser on the same server.
func newTestServerClient(ts *testServer) *testServer {
	other := *ts
	other.client = ts.newClient()
	other.last = nil
	return &other
}

// concrete fills a route's parameters so that it can be requested.
func concrete(path string, tokenID int64) string {
	r := strings.NewReplacer(":provider", "redox", ":id", itoa(tokenID), ":app", "1", ":client", "1", ":name", "x", "*", "css/app.css")
	return r.Replace(path)
}

func isUnsafe(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// Every console route, taken from the route table, refuses anonymous use.
func TestEveryConsoleRouteRefusesAnonymousRequests(t *testing.T) {
	ts := newTestServer(t)
	id := createTestToken(t, ts, "Anon Probe")
	anon := newTestServerClient(ts)
	anon.get("/login") // a real CSRF token, so that it is the session that is refused
	csrf := anon.csrf()
	for _, r := range ts.srv.Routes() {
		key := r.Method + " " + r.Path
		if PublicRoutes[key] {
			continue
		}
		t.Run(key, func(t *testing.T) {
			path := concrete(r.Path, id)
			var p page
			if isUnsafe(r.Method) {
				p = anon.postRaw(path, url.Values{"_csrf": {csrf}, "name": {"X"}, "id": {itoa(id)}})
			} else {
				req, _ := http.NewRequest(r.Method, anon.http.URL+path, nil)
				p = anon.do(req)
			}
			switch {
			case !isUnsafe(r.Method) && p.StatusCode == http.StatusSeeOther && sentToLogin(p):
			case isUnsafe(r.Method) && p.StatusCode == http.StatusUnauthorized:
			default:
				t.Fatalf("anonymous %s %s: status %d (location %q)", r.Method, path, p.StatusCode, p.Header.Get("Location"))
			}
		})
	}
	// Nothing was changed by all that.
	if tok, err := ts.store.TokenByID(t.Context(), id); err != nil || tok.Name != "Anon Probe" || tok.Version != 1 {
		t.Fatalf("token changed by anonymous requests: %+v %v", tok, err)
	}
}

// Every unsafe route, taken from the route table, refuses a missing or
// wrong CSRF token, even from a signed-in administrator.
func TestEveryUnsafeRouteNeedsACSRFToken(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	id := createTestToken(t, ts, "CSRF Probe")
	good := ts.csrf()
	for _, r := range ts.srv.Routes() {
		// The runtime API authenticates with a key in a header, which a
		// browser never sends on its own: no session, so no CSRF to forge.
		if !isUnsafe(r.Method) || strings.HasPrefix(r.Path, "/api/v1/") {
			continue
		}
		for name, token := range map[string]string{"missing": "", "wrong": good[:len(good)-2] + "xx", "from another browser": "AAAA" + good[4:]} {
			t.Run(r.Method+" "+r.Path+"/"+name, func(t *testing.T) {
				form := url.Values{"name": {"Changed"}, "id": {itoa(id)}, "version": {"1"}}
				if token != "" {
					form.Set("_csrf", token)
				}
				p := ts.postRaw(concrete(r.Path, id), form)
				wantStatus(t, p, http.StatusForbidden)
				if !strings.Contains(p.text("[data-testid=error-message]"), "Reload the page") {
					t.Fatalf("message %q", p.text("[data-testid=error-message]"))
				}
			})
		}
	}
	if tok, err := ts.store.TokenByID(t.Context(), id); err != nil || tok.Name != "CSRF Probe" {
		t.Fatalf("token changed without a CSRF token: %+v %v", tok, err)
	}
	// And still signed in: the refused requests did not log anyone out.
	wantStatus(t, ts.get("/tokens"), http.StatusOK)
}

func TestOperationsEndpoints(t *testing.T) {
	ts := newTestServer(t)
	wantStatus(t, ts.get("/healthz"), http.StatusOK)
	wantStatus(t, ts.get("/readyz"), http.StatusOK)
	ts.get("/login")
	m := ts.get("/metrics")
	wantStatus(t, m, http.StatusOK)
	if !strings.Contains(m.Body, `tokendesk_http_requests_total{code="200",method="GET",route="/login"}`) ||
		!strings.Contains(m.Body, "tokendesk_http_request_duration_seconds_bucket") {
		t.Fatalf("metrics lack request counts by route:\n%s", m.Body)
	}
	ts.store.Close()
	wantStatus(t, ts.get("/readyz"), http.StatusServiceUnavailable)
}

func TestStaticAssetsAreHashedAndCachedLong(t *testing.T) {
	ts := newTestServer(t)
	login := ts.get("/login")
	href, _ := login.Doc.Find(`link[rel=stylesheet]`).Attr("href")
	if !strings.HasPrefix(href, "/static/css/app.") || href == "/static/css/app.css" {
		t.Fatalf("stylesheet URL %q is not content-hashed", href)
	}
	css := ts.get(href)
	wantStatus(t, css, http.StatusOK)
	if cc := css.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
		t.Fatalf("Cache-Control %q", cc)
	}
	wantStatus(t, ts.get("/static/css/app.000000000000.css"), http.StatusNotFound)
}

func TestUnknownPagesAndMethods(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	p := ts.get("/no/such/page")
	wantStatus(t, p, http.StatusNotFound)
	if p.text("[data-testid=error-message]") != "There is no page at this address." {
		t.Fatalf("404 message %q", p.text("[data-testid=error-message]"))
	}
	wantStatus(t, ts.get("/tokens/999999"), http.StatusNotFound)
	wantStatus(t, ts.get("/tokens/abc"), http.StatusNotFound)
}

// sentToLogin: redirected to sign in (not, say, after logging out).
func sentToLogin(p page) bool {
	loc := p.Header.Get("Location")
	return p.StatusCode == http.StatusSeeOther && (loc == "/login" || strings.HasPrefix(loc, "/login?next="))
}

func TestAuditLogIsPagedNewestFirst(t *testing.T) {
	ts := newTestServer(t)
	seedTokens(t, ts.store, 60) // 60 creations, one a token
	ts.signInAdmin()
	first := ts.get("/audit")
	if n := first.Doc.Find("[data-testid=audit-row]").Length(); n != 50 {
		t.Fatalf("first page has %d entries", n)
	}
	if !strings.Contains(first.Doc.Find("[data-testid=audit-row] td").Eq(3).Text(), "Token 00059") {
		t.Fatalf("newest first: %q", first.Doc.Find("[data-testid=audit-row] td").Eq(3).Text())
	}
	older, _ := first.Doc.Find("[data-testid=older]").Attr("href")
	second := ts.get(older)
	if n := second.Doc.Find("[data-testid=audit-row]").Length(); n != 10 || second.Doc.Find("[data-testid=older]").Length() != 0 {
		t.Fatalf("second page has %d entries", n)
	}
	newer, _ := second.Doc.Find("[data-testid=newer]").Attr("href")
	back := ts.get(newer)
	if n := back.Doc.Find("[data-testid=audit-row]").Length(); n != 50 || back.Doc.Find("[data-testid=newer]").Length() != 0 ||
		!strings.Contains(back.Doc.Find("[data-testid=audit-row] td").Eq(3).Text(), "Token 00059") {
		t.Fatalf("back to the newest page: %d entries", n)
	}
	// A page link edited by hand is a clear 400.
	for _, bad := range []string{"/audit?after=eyJ0IjoxfQ", "/audit?before=xyz", "/audit?after=eyJ0IjoxLCJpIjoxLCJ6IjoxfQ"} {
		p := ts.get(bad)
		wantStatus(t, p, http.StatusBadRequest)
		if !strings.Contains(p.Doc.Text(), "page link is damaged") {
			t.Errorf("%s: no clear message", bad)
		}
	}
	// Old page numbers show the newest entries.
	wantStatus(t, ts.get("/audit?page=-3"), http.StatusOK)
	wantStatus(t, ts.get("/audit?page=abc"), http.StatusOK)
}

func TestOpenAPIDocument(t *testing.T) {
	ts := newTestServer(t)
	p := ts.get("/api/v1/openapi.json")
	wantStatus(t, p, http.StatusOK)
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(p.Body), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	get, ok := doc.Paths["/api/v1/tokens/{name}"]["get"].(map[string]any)
	if !strings.HasPrefix(doc.OpenAPI, "3.") || !ok {
		t.Fatalf("openapi %q, paths %v", doc.OpenAPI, doc.Paths)
	}
	responses := get["responses"].(map[string]any)
	for _, code := range []string{"200", "401", "404", "409", "429"} {
		if _, ok := responses[code]; !ok {
			t.Errorf("the document does not describe %s", code)
		}
	}
	// Every route under /api/v1 is described.
	for _, r := range ts.srv.Routes() {
		if strings.HasPrefix(r.Path, "/api/v1/") {
			path := strings.Replace(strings.Replace(r.Path, ":name", "{name}", 1), "*", "{path}", 1)
			if _, ok := doc.Paths[path]; !ok {
				t.Errorf("route %s is not in the OpenAPI document", r.Path)
			}
		}
	}
}

// forTest is this browser for test t: the same server and cookies, its own
// last page, failing t.
func (ts *testServer) forTest(t testing.TB) *testServer {
	c := *ts
	c.t, c.last = t, nil
	return &c
}
