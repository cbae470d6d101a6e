package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/config"
	"github.com/tokendesk/tokendesk/internal/store"
)

func sessionCookieOf(t *testing.T, p page) *http.Cookie {
	t.Helper()
	for _, c := range p.Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	return nil
}

func TestSignInAndOut(t *testing.T) {
	ts := newTestServer(t)

	// Anonymous visitors are sent to the login page, which keeps where they were going.
	wantRedirect(t, ts.get("/tokens?q=x"), "/login?next="+url.QueryEscape("/tokens?q=x"))
	login := ts.get("/login")
	for _, label := range []string{"Email", "Password"} {
		if login.Doc.Find("label:contains('"+label+"')").Length() != 1 {
			t.Errorf("login form has no %q label", label)
		}
	}
	if typ, _ := login.Doc.Find("#password").Attr("type"); typ != "password" {
		t.Errorf("password input type %q", typ)
	}

	bad := ts.post("/login", url.Values{"email": {adminEmail}, "password": {"wrong password"}})
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	if msg := bad.text("[data-testid=login-error]"); msg != "The email or password is not right." {
		t.Errorf("error %q", msg)
	}
	if v, _ := bad.Doc.Find("#email").Attr("value"); v != adminEmail {
		t.Errorf("email not kept: %q", v)
	}

	ok := ts.post("/login", url.Values{"email": {strings.ToUpper(adminEmail)}, "password": {adminPassword}, "next": {"/tokens?q=x"}})
	wantRedirect(t, ok, "/tokens?q=x")
	c := sessionCookieOf(t, ok)
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over http", c)
	}
	if got := ts.get("/tokens").text("[data-testid=signed-in-as]"); got != adminEmail {
		t.Fatalf("signed in as %q", got)
	}

	// Logging out revokes the session on the server: replaying the old cookie fails.
	out := ts.post("/logout", nil)
	wantRedirect(t, out, "/login?signed_out=1")
	replay := ts.newClient()
	u, _ := url.Parse(ts.http.URL)
	replay.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: c.Value}})
	resp, err := replay.Get(ts.http.URL + "/tokens")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("old session still works after logout: %d", resp.StatusCode)
	}
}

func TestOffSiteNextIsIgnored(t *testing.T) {
	ts := newTestServer(t)
	ts.get("/login")
	p := ts.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}, "next": {"//evil.example/x"}})
	wantRedirect(t, p, "/")
}

func TestSessionIsRenewedAtSignIn(t *testing.T) {
	ts := newTestServer(t)
	first := sessionCookieOf(t, ts.signIn(adminEmail, adminPassword))
	second := sessionCookieOf(t, ts.signIn(adminEmail, adminPassword))
	if first == nil || second == nil || first.Value == second.Value {
		t.Fatal("signing in again kept the same session id")
	}
	// The first session was replaced, not left behind.
	if _, err := ts.store.SessionByHash(context.Background(), hashOf(first.Value)); err != store.ErrNotFound {
		t.Fatalf("old session still stored: %v", err)
	}
}

func TestSessionsEndWhenIdle(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.clock.Advance(SessionIdle - time.Minute)
	wantStatus(t, ts.get("/tokens"), http.StatusOK) // use keeps it alive
	ts.clock.Advance(SessionIdle - time.Minute)
	wantStatus(t, ts.get("/tokens"), http.StatusOK)
	ts.clock.Advance(SessionIdle + time.Second)
	p := ts.get("/tokens")
	if p.StatusCode != http.StatusSeeOther {
		t.Fatalf("idle session still works: %d", p.StatusCode)
	}
}

func TestSecureCookieOverHTTPS(t *testing.T) {
	ts := newTestServer(t, withConfig(func(c *config.Config) { c.BaseURL, _ = url.Parse("https://tokens.example.com") }))
	c := sessionCookieOf(t, ts.signIn(adminEmail, adminPassword))
	if c == nil || !c.Secure {
		t.Fatalf("session cookie not Secure with an https base URL: %+v", c)
	}
}

func TestFailedSignInsAreSlowedDown(t *testing.T) {
	ts := newTestServer(t)
	ts.get("/login")
	for i := 0; i < 5; i++ {
		wantStatus(t, ts.post("/login", url.Values{"email": {adminEmail}, "password": {"guess"}}), http.StatusUnprocessableEntity)
	}
	// The sixth failure locks the account for a while: even the right password waits.
	ts.post("/login", url.Values{"email": {adminEmail}, "password": {"guess"}})
	p := ts.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}})
	wantStatus(t, p, http.StatusTooManyRequests)
	if !strings.Contains(p.text("[data-testid=login-error]"), "Too many failed sign-ins") || p.Header.Get("Retry-After") == "" {
		t.Fatalf("locked response: %q, Retry-After %q", p.text("[data-testid=login-error]"), p.Header.Get("Retry-After"))
	}
	// Another account from the same address is not locked yet.
	ts.addUser("bob@example.com", "another long password", store.RoleAdmin)
	ts.signIn("bob@example.com", "another long password")
	// The lock lifts with time.
	ts.clock.Advance(2 * time.Second)
	ts.signIn(adminEmail, adminPassword)
}

func TestFailedSignInsPerAddress(t *testing.T) {
	ts := newTestServer(t)
	ts.get("/login")
	for i := 0; i < 21; i++ {
		ts.post("/login", url.Values{"email": {"nobody" + strings.Repeat("x", i) + "@example.com"}, "password": {"guess"}})
	}
	p := ts.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}})
	wantStatus(t, p, http.StatusTooManyRequests)
}

func TestSetupCreatesTheFirstAdministrator(t *testing.T) {
	// A fresh database: no users, a setup code printed in the log.
	ts2 := newTestServer(t, withoutUsers("ABCDE-FGHJK"))
	wantRedirect(t, ts2.get("/login"), "/setup")
	form := ts2.get("/setup")
	wantStatus(t, form, http.StatusOK)

	bad := ts2.post("/setup", url.Values{"code": {"WRONG-CODE0"}, "email": {"root@example.com"}, "password": {"a long enough password"}})
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	if bad.text("[data-testid=error-code]") == "" {
		t.Fatal("wrong code: no message beside the code")
	}
	short := ts2.post("/setup", url.Values{"code": {"ABCDE-FGHJK"}, "email": {"root@example.com"}, "password": {"short"}})
	wantStatus(t, short, http.StatusUnprocessableEntity)
	if v, _ := short.Doc.Find("#email").Attr("value"); v != "root@example.com" {
		t.Fatal("email not kept after a rejected setup form")
	}

	ok := ts2.post("/setup", url.Values{"code": {"abcde fghjk"}, "email": {"root@example.com"}, "password": {"a long enough password"}})
	wantRedirect(t, ok, "/tokens")
	if got := ts2.get("/tokens").text("[data-testid=signed-in-as]"); got != "root@example.com" {
		t.Fatalf("after setup signed in as %q", got)
	}
	// The code is used up.
	wantRedirect(t, ts2.get("/setup"), "/login")
}

func TestSignOutEverywhere(t *testing.T) {
	ts := newTestServer(t)
	bob := ts.addUser("bob@example.com", "another long password", store.RoleAdmin)
	bobBrowser := newTestServerClient(ts)
	bobBrowser.signIn("bob@example.com", "another long password")
	wantStatus(t, bobBrowser.get("/tokens"), http.StatusOK)

	ts.signInAdmin()
	users := ts.get("/users")
	if !strings.Contains(users.text("[data-testid=user-table]"), "bob@example.com") {
		t.Fatal("bob not listed")
	}
	wantRedirect(t, ts.post("/users/"+itoa(bob.ID)+"/sign-out", nil), "/users")
	if p := bobBrowser.get("/tokens"); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("bob still signed in after sign out everywhere: %d", p.StatusCode)
	}
}

func TestDesignersCannotManageGlobalTokens(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("dee@example.com", "designer password 1", store.RoleDesigner)
	ts.signIn("dee@example.com", "designer password 1")
	for _, path := range []string{"/tokens", "/tokens/new/redox", "/audit", "/users"} {
		wantStatus(t, ts.get(path), http.StatusForbidden)
	}
	wantStatus(t, ts.post("/tokens/new/redox", url.Values{"name": {"X"}}), http.StatusForbidden)
}
