package web

import (
	"context"
	"encoding/base32"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/auth"
	"github.com/tokendesk/tokendesk/internal/store"
)

// auditActions lists the audit log's actions, newest first.
func auditActions(t *testing.T, ts *testServer) []string {
	t.Helper()
	entries, _, err := ts.store.ListAudit(context.Background(), 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range entries {
		out = append(out, a.Action+" "+a.Subject)
	}
	return out
}

func hasAudit(t *testing.T, ts *testServer, want string) bool {
	for _, a := range auditActions(t, ts) {
		if a == want {
			return true
		}
	}
	return false
}

// A person changes their own password on Your account: the current one
// is required, the house rules apply, their other sessions end, this one
// stays, and the change is audited.
func TestAccountPasswordChange(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	// A second browser of the same person.
	laptop := ts.client
	ts.client = ts.newClient()
	ts.signInAdmin()
	phone := ts.client
	ts.client = laptop

	p := ts.get("/account")
	wantStatus(t, p, http.StatusOK)
	if p.text("[data-testid=account-email]") != adminEmail {
		t.Fatalf("Your account shows %q", p.text("[data-testid=account-email]"))
	}
	const newPassword = "a brand new long password"
	for _, tc := range []struct{ current, next, field, want string }{
		{"wrong password!", newPassword, "current-password", "This is not your current password."},
		{"", newPassword, "current-password", "Enter your current password."},
		{adminPassword, "short", "new-password", "at least 12 characters"},
		{adminPassword, adminPassword, "new-password", "different from the current one"},
	} {
		p := ts.post("/account/password", url.Values{"current-password": {tc.current}, "new-password": {tc.next}})
		wantStatus(t, p, http.StatusUnprocessableEntity)
		if got := p.text("[data-testid=error-" + tc.field + "]"); !strings.Contains(got, tc.want) {
			t.Fatalf("%q/%q: error %q, want %q", tc.current, tc.next, got, tc.want)
		}
	}
	if hasAudit(t, ts, store.ActionAccountPassword+" "+adminEmail) {
		t.Fatal("a refused change was audited")
	}
	p = ts.post("/account/password", url.Values{"current-password": {adminPassword}, "new-password": {newPassword}})
	wantRedirect(t, p, "/account")
	wantStatus(t, ts.get("/account"), http.StatusOK) // this browser stays signed in
	ts.client = phone
	wantRedirect(t, ts.get("/tokens"), "/login?next=%2Ftokens")
	ts.client = ts.newClient()
	ts.get("/login")
	wantStatus(t, ts.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}}), http.StatusUnprocessableEntity)
	ts.signIn(adminEmail, newPassword)
	if !hasAudit(t, ts, store.ActionAccountPassword+" "+adminEmail) {
		t.Fatalf("no audit entry: %v", auditActions(t, ts))
	}
	if strings.Contains(ts.logs.String(), newPassword) {
		t.Fatal("the new password reached the log")
	}
}

// Someone an administrator added with a typed password must choose their
// own before anything else opens; an administrator's reset does the same.
func TestMustChangePasswordAtFirstSignIn(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/users")
	wantRedirect(t, ts.post("/users", url.Values{"new-email": {"cy@example.com"}, "new-password": {"typed by the admin"}, "role": {"designer"}}), "/users")

	ts.client = ts.newClient()
	ts.signIn("cy@example.com", "typed by the admin")
	wantRedirect(t, ts.get("/apps"), "/account")
	ts.get("/account")
	p := ts.get("/account")
	if p.Doc.Find("[data-testid=must-change]").Length() != 1 {
		t.Fatal("Your account does not say why")
	}
	wantStatus(t, ts.post("/sessions/x/end", nil), http.StatusForbidden)
	wantRedirect(t, ts.post("/account/password", url.Values{"current-password": {"typed by the admin"}, "new-password": {"my very own password"}}), "/")
	wantStatus(t, ts.get("/apps"), http.StatusOK)

	// The administrator resets it: chosen by them again, so changed again.
	ts.client = ts.newClient()
	ts.signInAdmin()
	ts.get("/users")
	cy, _ := ts.store.UserByEmail(context.Background(), "cy@example.com")
	wantRedirect(t, ts.post("/users/"+itoa(cy.ID)+"/password", url.Values{"password": {"another typed one"}}), "/users")
	ts.client = ts.newClient()
	ts.signIn("cy@example.com", "another typed one")
	wantRedirect(t, ts.get("/apps"), "/account")
}

// enrolTOTP adds an authenticator app for the signed-in person and
// returns its raw secret and the recovery codes shown.
// password is the person's current password (the administrator's when
// none is given): adding a factor needs it.
func enrolTOTP(t *testing.T, ts *testServer, password ...string) ([]byte, []string) {
	t.Helper()
	ts.get("/account")
	pw := adminPassword
	if len(password) > 0 {
		pw = password[0]
	}
	p := ts.post("/account/totp", url.Values{"totp-password": {pw}})
	wantStatus(t, p, http.StatusOK)
	key := strings.ReplaceAll(p.text("[data-testid=totp-secret]"), " ", "")
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(key)
	if err != nil || len(raw) == 0 {
		t.Fatalf("no key to type on the page: %q", key)
	}
	if src, _ := p.Doc.Find("[data-testid=totp-qr]").Attr("src"); !strings.HasPrefix(src, "data:image/png;base64,") {
		t.Fatalf("QR code: %.40q", src)
	}
	factor, _ := p.Doc.Find(`input[name=factor]`).Attr("value")
	// A wrong code: the factor does not count yet.
	p = ts.post("/account/totp/confirm", url.Values{"factor": {factor}, "totp-code": {"000000"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if !strings.Contains(p.text("[data-testid=error-totp-code]"), "not right") {
		t.Fatalf("wrong code: %q", p.text("[data-testid=error-totp-code]"))
	}
	p = ts.post("/account/totp/confirm", url.Values{"factor": {factor}, "totp-code": {auth.TOTPCode(raw, ts.clock.Now())}})
	wantStatus(t, p, http.StatusOK)
	var codes []string
	p.Doc.Find("[data-testid=recovery-code]").Each(func(_ int, s *goquery.Selection) { codes = append(codes, s.Text()) })
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown, want 10", len(codes))
	}
	// After enrolment the key is never shown again.
	if again := ts.get("/account"); strings.Contains(again.Body, key) || again.Doc.Find("[data-testid=factor]").Length() != 1 {
		t.Fatalf("Your account after enrolment: key shown again or factor missing")
	}
	return raw, codes
}

// The whole second factor: enrol, then sign in in two steps; the half
// signed-in browser has no privileges; a code is good once, a recovery
// code too; the key never reaches the log.
func TestTOTPSecondFactorSignIn(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	raw, codes := enrolTOTP(t, ts)
	if !hasAudit(t, ts, store.ActionFactorAdd+" "+adminEmail) {
		t.Fatalf("enrolment not audited: %v", auditActions(t, ts))
	}

	ts.client = ts.newClient()
	ts.get("/login")
	p := ts.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}, "next": {"/settings"}})
	wantRedirect(t, p, "/login/second-factor")
	// Half signed in: nothing opens.
	wantRedirect(t, ts.get("/tokens"), "/login?next=%2Ftokens")
	p = ts.get("/login/second-factor")
	wantStatus(t, p, http.StatusOK)
	wantStatus(t, ts.post("/settings", url.Values{"allow_delete": {"on"}}), http.StatusUnauthorized)
	p = ts.post("/login/second-factor", url.Values{"code": {"123456"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if !strings.Contains(p.text("[data-testid=login-error]"), "not right") {
		t.Fatalf("wrong code: %q", p.text("[data-testid=login-error]"))
	}
	ts.clock.Advance(30 * time.Second) // the confirming code's step is spent
	code := auth.TOTPCode(raw, ts.clock.Now())
	wantRedirect(t, ts.post("/login/second-factor", url.Values{"code": {code}}), "/settings")
	wantStatus(t, ts.get("/tokens"), http.StatusOK)

	// The same code again, within its window, in another browser.
	ts.client = ts.newClient()
	ts.get("/login")
	wantRedirect(t, ts.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}}), "/login/second-factor")
	ts.get("/login/second-factor")
	p = ts.post("/login/second-factor", url.Values{"code": {code}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if !strings.Contains(p.text("[data-testid=login-error]"), "used already") {
		t.Fatalf("replayed code: %q", p.text("[data-testid=login-error]"))
	}
	// A recovery code, typed in lower case without its dash.
	rc := strings.ToLower(strings.ReplaceAll(codes[3], "-", ""))
	wantRedirect(t, ts.post("/login/second-factor", url.Values{"code": {rc}}), "/")
	if p := ts.get("/account"); p.text("[data-testid=recovery-left]") != "9 recovery codes left." {
		t.Fatalf("recovery codes left: %q", p.text("[data-testid=recovery-left]"))
	}
	ts.client = ts.newClient()
	ts.get("/login")
	ts.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}})
	ts.get("/login/second-factor")
	p = ts.post("/login/second-factor", url.Values{"code": {codes[3]}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if !strings.Contains(p.text("[data-testid=login-error]"), "used already") {
		t.Fatalf("reused recovery code: %q", p.text("[data-testid=login-error]"))
	}
	// The second step lapses after a few minutes: back to the password.
	ts.clock.Advance(6 * time.Minute)
	wantRedirect(t, ts.get("/login/second-factor"), "/login")

	if logs := ts.logs.String(); strings.Contains(logs, auth.Base32Secret(raw)) || strings.Contains(logs, codes[0]) {
		t.Fatal("a key or recovery code reached the log")
	}
}

// Wrong codes at the second step are throttled like wrong passwords.
func TestSecondFactorStepIsThrottled(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	raw, _ := enrolTOTP(t, ts)
	ts.client = ts.newClient()
	ts.get("/login")
	ts.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}})
	ts.get("/login/second-factor")
	for range 5 {
		wantStatus(t, ts.post("/login/second-factor", url.Values{"code": {"999999"}}), http.StatusUnprocessableEntity)
	}
	ts.post("/login/second-factor", url.Values{"code": {"999999"}})
	// Locked: even the right code (the next step's, still in its window) waits.
	good := auth.TOTPCode(raw, ts.clock.Now().Add(30*time.Second))
	p := ts.post("/login/second-factor", url.Values{"code": {good}})
	wantStatus(t, p, http.StatusTooManyRequests)
	if p.Header.Get("Retry-After") == "" || !strings.Contains(p.text("[data-testid=login-error]"), "Too many failed sign-ins") {
		t.Fatalf("locked answer: %q, Retry-After %q", p.text("[data-testid=login-error]"), p.Header.Get("Retry-After"))
	}
	ts.clock.Advance(2 * time.Second)
	wantRedirect(t, ts.post("/login/second-factor", url.Values{"code": {good}}), "/")

	// The right password does not wipe the code step's failures: else
	// each one would buy five more guesses.
	ts.client = ts.newClient()
	ts.clock.Advance(time.Minute)
	ts.get("/login")
	ts.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}})
	ts.get("/login/second-factor")
	for range 5 {
		ts.post("/login/second-factor", url.Values{"code": {"999999"}})
	}
	ts.client = ts.newClient()
	ts.get("/login")
	wantRedirect(t, ts.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}}), "/login/second-factor")
	ts.get("/login/second-factor")
	ts.post("/login/second-factor", url.Values{"code": {"999999"}})
	p = ts.post("/login/second-factor", url.Values{"code": {auth.TOTPCode(raw, ts.clock.Now())}})
	wantStatus(t, p, http.StatusTooManyRequests)
}

// With "Require a second factor for administrators" on, an administrator
// without one can only enrol; a designer is not held.
func TestRequireSecondFactorForAdministrators(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("dee@example.com", "designer password", store.RoleDesigner)
	ts.signInAdmin()
	ts.get("/settings")
	wantRedirect(t, ts.post("/settings/second-factor", url.Values{"require_admin_factor": {"on"}}), "/settings")
	wantRedirect(t, ts.get("/tokens"), "/account")
	if ts.get("/account").Doc.Find("[data-testid=must-enrol]").Length() != 1 {
		t.Fatal("Your account does not say a factor is needed")
	}
	wantStatus(t, ts.post("/settings/second-factor", nil), http.StatusForbidden)
	enrolTOTP(t, ts)
	wantStatus(t, ts.get("/tokens"), http.StatusOK)

	ts.client = ts.newClient()
	ts.signIn("dee@example.com", "designer password")
	wantStatus(t, ts.get("/apps"), http.StatusOK)
}

// An administrator resets someone's factors after a confirmation; the
// reset is audited and their password alone signs them in again.
func TestAdministratorResetsFactors(t *testing.T) {
	ts := newTestServer(t)
	bob := ts.addUser("bob@example.com", "bob's long password", store.RoleAdmin)
	ts.signIn("bob@example.com", "bob's long password")
	enrolTOTP(t, ts, "bob's long password")

	ts.client = ts.newClient()
	ts.signInAdmin()
	ts.get("/users")
	p := ts.post("/users/"+itoa(bob.ID)+"/factors/reset", nil)
	wantStatus(t, p, http.StatusOK)
	if p.Doc.Find("[data-testid=reset-factors-confirm]").Length() != 1 {
		t.Fatal("no confirmation")
	}
	if has, _ := ts.store.HasSecondFactor(context.Background(), bob.ID); !has {
		t.Fatal("reset before the confirmation")
	}
	wantRedirect(t, ts.post("/users/"+itoa(bob.ID)+"/factors/reset", url.Values{"confirmed": {"yes"}}), "/users/"+itoa(bob.ID))
	if !hasAudit(t, ts, store.ActionFactorsReset+" bob@example.com") {
		t.Fatalf("not audited: %v", auditActions(t, ts))
	}
	ts.client = ts.newClient()
	wantRedirect(t, ts.signIn("bob@example.com", "bob's long password"), "/")

	// A designer cannot.
	ts.addUser("dee@example.com", "designer password", store.RoleDesigner)
	ts.client = ts.newClient()
	ts.signIn("dee@example.com", "designer password")
	ts.get("/apps")
	wantStatus(t, ts.post("/users/"+itoa(bob.ID)+"/factors/reset", url.Values{"confirmed": {"yes"}}), http.StatusForbidden)
}

// A person removes their own factor after a confirmation.
func TestRemoveOwnFactor(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	enrolTOTP(t, ts)
	f, _ := ts.store.Factors(context.Background(), 1)
	path := "/account/factors/" + itoa(f[0].ID) + "/remove"
	p := ts.post(path, nil)
	wantStatus(t, p, http.StatusOK)
	if p.Doc.Find("[data-testid=remove-factor-confirm]").Length() != 1 {
		t.Fatal("no confirmation")
	}
	wantRedirect(t, ts.post(path, url.Values{"confirmed": {"yes"}, "current-password": {adminPassword}}), "/account")
	wantStatus(t, ts.post(path, url.Values{"confirmed": {"yes"}, "current-password": {adminPassword}}), http.StatusNotFound)
	ts.client = ts.newClient()
	wantRedirect(t, ts.signIn(adminEmail, adminPassword), "/")
}
