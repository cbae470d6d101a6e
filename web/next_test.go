package web

import (
	"net/http"
	"net/url"
	"testing"
)

// After sign-in, "next" leads only to a path on this site, however it is
// dressed up: browsers drop tabs and newlines and read "\" as "/".
func TestNextNeverLeadsOffSite(t *testing.T) {
	offSite := []string{
		"/%09/evil.example/", "/\t/evil.example/", "/\r\n/evil.example", "/\n/evil.example", "/%0d%0a/evil.example",
		"//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "/%5Cevil.example", "/%5C%5Cevil.example",
		"/%2F/evil.example", "/%2f%2fevil.example", "%2F%2Fevil.example", "https://evil.example/", "http:/evil.example",
		"javascript:alert(1)", "evil.example", " /tokens", "/ /evil.example", "/%00/evil.example", "/\x7f/evil.example",
		"/%ZZ", "",
	}
	ts := newTestServer(t)
	ts.get("/login")
	for _, next := range offSite {
		p := ts.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}, "next": {next}})
		wantRedirect(t, p, "/") // home: each role's first screen
		// Signed in: GET /login?next=… redirects at once, by the same rule.
		got := ts.get("/login?next=" + url.QueryEscape(next))
		if loc := got.Header.Get("Location"); got.StatusCode != http.StatusSeeOther || loc != "/" {
			t.Fatalf("GET /login?next=%q: %d to %q", next, got.StatusCode, loc)
		}
		ts.post("/logout", nil)
		ts.get("/login")
	}

	for next, want := range map[string]string{
		"/apps/1":                 "/apps/1",
		"/tokens?q=lab%20feed":    "/tokens?q=lab%20feed",
		"/tokens/3/permissions":   "/tokens/3/permissions",
		"/audit?page=2":           "/audit?page=2",
		"/apps/1/tokens/new/zoom": "/apps/1/tokens/new/zoom",
	} {
		p := ts.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}, "next": {next}})
		wantRedirect(t, p, want)
		ts.post("/logout", nil)
		ts.get("/login")
	}
}
