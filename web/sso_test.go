package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/tokendesk/tokendesk/internal/oidctest"
	"github.com/tokendesk/tokendesk/internal/store"
)

const (
	idpClientID     = "tokendesk-console"
	idpClientSecret = "idp-client-secret-4711"
)

// ssoWorld is a console with Single sign-on set up against the emulated
// identity provider, tested and switched on by the administrator.
type ssoWorld struct {
	*testServer
	idp *oidctest.Server
}

func newSSOWorld(t *testing.T) ssoWorld {
	t.Helper()
	ts := newTestServer(t)
	idp, _ := oidctest.Start(t)
	idp.SetClock(ts.clock.Now)
	idp.AddClient(oidctest.Client{ID: idpClientID, Secret: idpClientSecret, RedirectURIs: []string{ts.srv.ssoRedirectURI()}})
	idp.AddUser(oidctest.User{Subject: "ada", Email: adminEmail, Name: "Ada", Groups: []string{"td-admins"}})
	idp.AddUser(oidctest.User{Subject: "bob", Email: "bob@example.com", Name: "Bob", Groups: []string{"billing-devs", "staff"}})
	idp.AddUser(oidctest.User{Subject: "eve", Email: "eve@example.com", Name: "Eve", Groups: []string{"staff"}})
	if _, err := ts.store.CreateApp(context.Background(), "Billing", store.KindProcess, nil, adminEmail); err != nil {
		t.Fatal(err)
	}
	w := ssoWorld{ts, idp}
	ts.signInAdmin()
	ts.get("/settings/sso")
	wantRedirect(t, ts.post("/settings/sso", w.form(nil)), "/settings/sso")
	w.testSignIn("ada")
	wantRedirect(t, ts.post("/settings/sso", w.form(url.Values{"enabled": {"on"}})), "/settings/sso")
	return w
}

// form is the settings form filled in for the emulator, with changes.
func (w ssoWorld) form(with url.Values) url.Values {
	f := url.Values{
		"name": {"Contoso ID"}, "issuer": {w.idp.Issuer()}, "client_id": {idpClientID}, "client_secret": {idpClientSecret},
		"scopes": {"email profile"}, "claim": {"groups"}, "admin_values": {"td-admins"}, "designer_rules": {"billing-devs = Billing"},
	}
	for k, v := range with {
		f[k] = v
	}
	return f
}

// approve plays the person at the identity provider's consent page: who
// signs in, for the authorization URL tokendesk sent the browser to. It
// returns the Redirect URI's path and query the provider sent back.
func (w ssoWorld) approve(authorizeURL, subject string) string {
	w.t.Helper()
	u, err := url.Parse(authorizeURL)
	if err != nil || !strings.HasPrefix(authorizeURL, w.idp.Issuer()+"/authorize") {
		w.t.Fatalf("not the provider's authorization URL: %q", authorizeURL)
	}
	q := u.Query()
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if q.Get(k) == "" {
			w.t.Fatalf("authorization URL without %s: %s", k, authorizeURL)
		}
	}
	if q.Get("code_challenge_method") != "S256" {
		w.t.Fatalf("PKCE method %q", q.Get("code_challenge_method"))
	}
	q.Set("user", subject)
	resp, err := w.newClient().PostForm(w.idp.Issuer()+"/authorize", q)
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || back.Query().Get("code") == "" {
		w.t.Fatalf("provider answered %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return back.RequestURI()
}

// testSignIn runs Settings → Single sign-on → Test sign-in as subject.
func (w ssoWorld) testSignIn(subject string) page {
	w.t.Helper()
	w.get("/settings/sso")
	start := w.post("/settings/sso/test", nil)
	wantStatus(w.t, start, http.StatusOK)
	to, ok := strings.CutPrefix(start.Header.Get("Refresh"), "0; url=")
	if !ok {
		w.t.Fatalf("Test sign-in did not move on: %q", start.Header.Get("Refresh"))
	}
	p := w.get(w.approve(to, subject))
	wantStatus(w.t, p, http.StatusOK)
	return p
}

// signInSSO walks "Sign in with …" in a fresh browser for subject and
// returns the callback's answer.
func (w ssoWorld) signInSSO(subject string) page {
	w.t.Helper()
	w.client, w.last = w.newClient(), nil
	login := w.get("/login")
	if login.Doc.Find("[data-testid=sso-signin-link]").Length() != 1 {
		w.t.Fatal("the sign-in page has no single sign-on button")
	}
	start := w.get("/login/sso?next=/apps")
	wantStatus(w.t, start, http.StatusSeeOther)
	return w.get(w.approve(start.Header.Get("Location"), subject))
}

func (w ssoWorld) wantSignedOut() {
	w.t.Helper()
	if p := w.get("/apps"); p.StatusCode != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "/login") {
		w.t.Fatalf("GET /apps: %d %q, want the way to sign in", p.StatusCode, p.Header.Get("Location"))
	}
}

// The settings page keeps the client secret secret, and single sign-on
// cannot be switched on before a Test sign-in; the test shows the claims
// and the role they map to and signs nobody in.
func TestSSOSettingsAndTestSignIn(t *testing.T) {
	ts := newTestServer(t)
	idp, _ := oidctest.Start(t)
	idp.SetClock(ts.clock.Now)
	idp.AddClient(oidctest.Client{ID: idpClientID, Secret: idpClientSecret, RedirectURIs: []string{ts.srv.ssoRedirectURI()}})
	idp.AddUser(oidctest.User{Subject: "bob", Email: "bob@example.com", Groups: []string{"billing-devs"}})
	w := ssoWorld{ts, idp}
	ts.store.CreateApp(context.Background(), "Billing", store.KindProcess, nil, adminEmail)
	ts.signInAdmin()

	p := ts.get("/settings")
	if href, _ := p.Doc.Find("[data-testid=sso-link]").Attr("href"); href != "/settings/sso" {
		t.Fatalf("Settings links to %q", href)
	}
	p = ts.get("/settings/sso")
	if v, _ := p.Doc.Find("[data-testid=sso-redirect-uri]").Attr("value"); v != ts.srv.ssoRedirectURI() || !strings.HasSuffix(v, "/login/sso/callback") {
		t.Fatalf("Redirect URI shown: %q", v)
	}
	// On before any test: refused, nothing saved.
	p = ts.post("/settings/sso", w.form(url.Values{"enabled": {"on"}}))
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if !strings.Contains(p.text("[data-testid=error-enabled]"), "Test sign-in") {
		t.Fatalf("enabled error: %q", p.text("[data-testid=error-enabled]"))
	}
	if set, _ := ts.store.SSOSettingsNow(context.Background()); set.Issuer != "" {
		t.Fatal("a refused save saved")
	}
	for _, tc := range []struct{ field, value, want string }{
		{"issuer", "http://idp.example.com", "https://"},
		{"designer_rules", "billing-devs = Nope", "no application named “Nope”"},
		{"designer_rules", "just a group", "line 1"},
		{"break_glass", "nobody@example.com", "not an active administrator"},
	} {
		p = ts.post("/settings/sso", w.form(url.Values{tc.field: {tc.value}}))
		wantStatus(t, p, http.StatusUnprocessableEntity)
		if got := p.text("[data-testid=error-" + tc.field + "]"); !strings.Contains(got, tc.want) {
			t.Errorf("%s %q: error %q, want %q", tc.field, tc.value, got, tc.want)
		}
	}
	wantRedirect(t, ts.post("/settings/sso", w.form(nil)), "/settings/sso")
	p = ts.get("/settings/sso")
	if strings.Contains(p.Body, idpClientSecret) {
		t.Fatal("the client secret was rendered back")
	}
	if sealed, _ := ts.store.SSOClientSecret(context.Background()); strings.Contains(string(sealed), idpClientSecret) {
		t.Fatal("the client secret is stored in the clear")
	}

	res := w.testSignIn("bob")
	if got := res.text("[data-testid=sso-test-access]"); got != "designer of Billing" {
		t.Fatalf("Test sign-in maps to %q", got)
	}
	if !strings.Contains(res.text("[data-testid=sso-test-claims]"), "bob@example.com") {
		t.Fatal("the claims received are not shown")
	}
	if _, err := ts.store.UserByEmail(context.Background(), "bob@example.com"); err == nil {
		t.Fatal("Test sign-in created the person")
	}
	if p := ts.get("/settings"); p.StatusCode != http.StatusOK {
		t.Fatalf("the administrator's session after the test: %d", p.StatusCode)
	}
	wantRedirect(t, ts.post("/settings/sso", w.form(url.Values{"enabled": {"on"}, "client_secret": {""}})), "/settings/sso")
	// Another client ID forgets the test: switching on needs a new one.
	p = ts.post("/settings/sso", w.form(url.Values{"enabled": {"on"}, "client_id": {"another"}, "client_secret": {""}}))
	wantStatus(t, p, http.StatusUnprocessableEntity)

	logs := ts.logs.String()
	audit, _, _ := ts.store.ListAudit(context.Background(), 1, 100)
	var changed, tested bool
	for _, a := range audit {
		if strings.Contains(a.Detail+strings.Join(a.Fields, ","), idpClientSecret) {
			t.Fatal("the client secret reached the audit log")
		}
		changed = changed || (a.Action == store.ActionSSOSettings && strings.Contains(strings.Join(a.Fields, ","), "client_secret"))
		tested = tested || a.Action == store.ActionSSOTest
	}
	if !changed || !tested || strings.Contains(logs, idpClientSecret) {
		t.Fatalf("audit: settings change %v, test %v; secret in logs %v", changed, tested, strings.Contains(logs, idpClientSecret))
	}
}

// Sign-in creates the person on first sign-in with the role the claim
// maps to, and the role follows the claim at every sign-in: out of the
// groups, no access and no sessions.
func TestSSOSignInFollowsTheClaim(t *testing.T) {
	w := newSSOWorld(t)
	ctx := context.Background()

	p := w.signInSSO("bob")
	wantRedirect(t, p, "/apps")
	bob, err := w.store.UserByEmail(ctx, "bob@example.com")
	if err != nil || bob.Role != store.RoleDesigner {
		t.Fatalf("bob after first sign-in: %+v %v", bob, err)
	}
	if apps := w.get("/apps"); !strings.Contains(apps.Body, "Billing") {
		t.Fatal("bob does not see the app his group designs")
	}
	bobsBrowser := w.client

	// Promoted in the identity provider: administrator at the next sign-in.
	w.idp.AddUser(oidctest.User{Subject: "bob", Email: "bob@example.com", Groups: []string{"td-admins"}})
	wantRedirect(t, w.signInSSO("bob"), "/apps")
	if bob, _ = w.store.UserByEmail(ctx, "bob@example.com"); bob.Role != store.RoleAdmin {
		t.Fatalf("bob's role %q, want admin", bob.Role)
	}

	// Removed from the groups: refused, and his sessions end.
	w.idp.AddUser(oidctest.User{Subject: "bob", Email: "bob@example.com", Groups: []string{"staff"}})
	p = w.signInSSO("bob")
	wantStatus(t, p, http.StatusForbidden)
	if !strings.Contains(p.text("[data-testid=error-message]"), "identity provider no longer gives you access") {
		t.Fatalf("refusal: %q", p.text("[data-testid=error-message]"))
	}
	w.wantSignedOut()
	w.client = bobsBrowser
	w.wantSignedOut()

	// Never in a mapped group: not created.
	wantStatus(t, w.signInSSO("eve"), http.StatusForbidden)
	if _, err := w.store.UserByEmail(ctx, "eve@example.com"); err == nil {
		t.Fatal("an unmapped person was created")
	}
	audit, _, _ := w.store.ListAudit(ctx, 1, 100)
	var signins, refused int
	for _, a := range audit {
		switch a.Action {
		case store.ActionSSOSignIn:
			signins++
		case store.ActionSSORefused:
			refused++
		}
	}
	if signins != 2 || refused != 2 {
		t.Fatalf("audit: %d sign-ins, %d refusals; want 2 and 2", signins, refused)
	}
}

// Forged, replayed, carried-over and tampered answers are refused with a
// clear message; nobody is signed in or created.
func TestSSOAttacksAreRefused(t *testing.T) {
	w := newSSOWorld(t)
	cases := []struct {
		name   string
		attack func(w ssoWorld) page
		status int
		want   string
	}{
		{"forged state", func(w ssoWorld) page {
			start := w.get("/login/sso")
			back := w.approve(start.Header.Get("Location"), "bob")
			u, _ := url.Parse(back)
			q := u.Query()
			q.Set("state", "forged-state-forged-state-forged-state")
			return w.get(u.Path + "?" + q.Encode())
		}, http.StatusBadRequest, "did not start in this browser"},
		{"state from another browser", func(w ssoWorld) page {
			start := w.get("/login/sso")
			back := w.approve(start.Header.Get("Location"), "bob")
			w.client = w.newClient() // the victim's browser
			return w.get(back)
		}, http.StatusBadRequest, "did not start in this browser"},
		{"replayed state", func(w ssoWorld) page {
			start := w.get("/login/sso")
			back := w.approve(start.Header.Get("Location"), "bob")
			wantRedirect(w.t, w.get(back), "/")
			w.post("/logout", nil)
			return w.get(back)
		}, http.StatusBadRequest, "completed already"},
		{"expired state", func(w ssoWorld) page {
			start := w.get("/login/sso")
			back := w.approve(start.Header.Get("Location"), "bob")
			w.clock.Advance(11 * time.Minute)
			return w.get(back)
		}, http.StatusBadRequest, "longer than 10 minutes"},
		{"wrong nonce", func(w ssoWorld) page {
			w.idp.Tamper(func(c jwt.MapClaims) { c["nonce"] = "someone-elses-nonce" })
			return w.get(w.approve(w.get("/login/sso").Header.Get("Location"), "bob"))
		}, http.StatusBadRequest, "nonce"},
		{"another audience", func(w ssoWorld) page {
			w.idp.Tamper(func(c jwt.MapClaims) { c["aud"] = "another-app" })
			return w.get(w.approve(w.get("/login/sso").Header.Get("Location"), "bob"))
		}, http.StatusBadRequest, "issued for another application"},
		{"another issuer", func(w ssoWorld) page {
			w.idp.Tamper(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })
			return w.get(w.approve(w.get("/login/sso").Header.Get("Location"), "bob"))
		}, http.StatusBadRequest, "issued by another identity provider"},
		{"expired ID token", func(w ssoWorld) page {
			w.idp.Tamper(func(c jwt.MapClaims) { c["exp"] = w.clock.Now().Add(-time.Minute).Unix() })
			return w.get(w.approve(w.get("/login/sso").Header.Get("Location"), "bob"))
		}, http.StatusBadRequest, "had expired"},
		{"unpublished signing key", func(w ssoWorld) page {
			w.idp.SignNextWithStrangerKey()
			return w.get(w.approve(w.get("/login/sso").Header.Get("Location"), "bob"))
		}, http.StatusBadRequest, "signature"},
		{"iss parameter of another server", func(w ssoWorld) page {
			back := w.approve(w.get("/login/sso").Header.Get("Location"), "bob")
			u, _ := url.Parse(back)
			q := u.Query()
			q.Set("iss", "https://evil.example")
			return w.get(u.Path + "?" + q.Encode())
		}, http.StatusBadRequest, "another identity provider"},
		{"refused at the provider", func(w ssoWorld) page {
			start := w.get("/login/sso")
			u, _ := url.Parse(start.Header.Get("Location"))
			q := u.Query()
			return w.get("/login/sso/callback?" + url.Values{"state": {q.Get("state")}, "error": {"access_denied"}}.Encode())
		}, http.StatusForbidden, "did not sign you in (access_denied)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w.t = t
			w.client, w.last = w.newClient(), nil
			p := tc.attack(w)
			wantStatus(t, p, tc.status)
			if got := p.text("[data-testid=error-message]"); !strings.Contains(got, tc.want) || !strings.Contains(got, "Nobody was signed in") {
				t.Fatalf("message %q, want %q and that nobody was signed in", got, tc.want)
			}
			w.wantSignedOut()
		})
	}
	if _, err := w.store.UserByEmail(context.Background(), "bob@example.com"); err == nil {
		// Only the replay case's first, genuine sign-in may create bob.
		audit, _, _ := w.store.ListAudit(context.Background(), 1, 200)
		n := 0
		for _, a := range audit {
			if a.Action == store.ActionSSOSignIn {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d sign-ins went through, want only the genuine one", n)
		}
	}
}

// With password sign-in off, only the named break-glass administrators
// may use a password; it cannot be turned off without one.
func TestPasswordSignInOffLeavesBreakGlass(t *testing.T) {
	w := newSSOWorld(t)
	w.addUser("carol@example.com", "carol's long password", store.RoleDesigner)
	p := w.post("/settings/sso", w.form(url.Values{"enabled": {"on"}, "password_off": {"on"}, "client_secret": {""}}))
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if !strings.Contains(p.text("[data-testid=error-password_off]"), "break-glass") {
		t.Fatalf("error: %q", p.text("[data-testid=error-password_off]"))
	}
	p = w.post("/settings/sso", w.form(url.Values{"password_off": {"on"}, "break_glass": {adminEmail}, "client_secret": {""}}))
	wantStatus(t, p, http.StatusUnprocessableEntity) // off needs single sign-on on
	wantRedirect(t, w.post("/settings/sso", w.form(url.Values{"enabled": {"on"}, "password_off": {"on"}, "break_glass": {adminEmail}, "client_secret": {""}})), "/settings/sso")

	w.client, w.last = w.newClient(), nil
	login := w.get("/login")
	if login.Doc.Find("[data-testid=break-glass] [data-testid=login-form]").Length() != 1 || !strings.Contains(login.text("[data-testid=sso-signin-link]"), "Sign in with Contoso ID") {
		t.Fatal("the sign-in page does not lead with single sign-on and fold the password form away")
	}
	p = w.post("/login", url.Values{"email": {"carol@example.com"}, "password": {"carol's long password"}})
	wantStatus(t, p, http.StatusForbidden)
	if !strings.Contains(p.text("[data-testid=login-error]"), "Password sign-in is turned off") {
		t.Fatalf("refusal: %q", p.text("[data-testid=login-error]"))
	}
	w.wantSignedOut()
	// A wrong password reads the same for anyone: the refusal never tells
	// who the break-glass administrators are.
	for _, email := range []string{adminEmail, "carol@example.com"} {
		p = w.post("/login", url.Values{"email": {email}, "password": {"not the password at all"}})
		wantStatus(t, p, http.StatusUnprocessableEntity)
		if got := p.text("[data-testid=login-error]"); got != "The email or password is not right." {
			t.Fatalf("%s, wrong password: %q", email, got)
		}
	}
	w.signInAdmin() // the break-glass administrator
}

// A sign-in started on one replica finishes on another: the state, nonce
// and verifier live in the shared database, not in a process.
func TestSSOTripCrossesReplicas(t *testing.T) {
	w := newSSOWorld(t)
	b := ssoWorld{w.replica(), w.idp}
	w.client, w.last = w.newClient(), nil
	start := w.get("/login/sso?next=/apps")
	wantStatus(t, start, http.StatusSeeOther)
	b.client = w.client // the same browser, sent to the other replica
	wantRedirect(t, b.get(w.approve(start.Header.Get("Location"), "bob")), "/apps")
	if p := w.get("/apps"); p.StatusCode != http.StatusOK || !strings.Contains(p.Body, "Billing") {
		t.Fatalf("the session made on B, on A: %d", p.StatusCode)
	}
}

// An identity provider on this machine or a private network is reached
// only when Settings allows private targets, as for any typed URL; the
// refusal says where tokendesk looked.
func TestSSODiscoveryKeepsThePrivateTargetGuard(t *testing.T) {
	ts := newTestServer(t, withProviderGuard())
	idp, _ := oidctest.Start(t)
	w := ssoWorld{ts, idp}
	ts.signInAdmin()
	ts.get("/settings/sso")
	wantRedirect(t, ts.post("/settings/sso", w.form(url.Values{"designer_rules": {""}})), "/settings/sso")
	ts.get("/settings/sso")
	wantRedirect(t, ts.post("/settings/sso/test", nil), "/settings/sso")
	if f := ts.get("/settings/sso").text("[data-testid=flash]"); !strings.Contains(f, idp.Issuer()+"/.well-known/openid-configuration") {
		t.Fatalf("flash %q", f)
	}
}

// One address may start only so many sign-ins: each writes a row and
// calls the identity provider, and anyone may ask.
func TestSSOStartsAreBoundedPerAddress(t *testing.T) {
	w := newSSOWorld(t)
	w.client, w.last = w.newClient(), nil
	for range ssoTripsPerAddress - 1 { // the world's Test sign-in was one
		wantStatus(t, w.get("/login/sso"), http.StatusSeeOther)
	}
	p := w.get("/login/sso")
	wantStatus(t, p, http.StatusTooManyRequests)
	if p.Header.Get("Retry-After") == "" || !strings.Contains(p.text("[data-testid=error-message]"), "Too many sign-ins") {
		t.Fatalf("refusal: %q %q", p.Header.Get("Retry-After"), p.text("[data-testid=error-message]"))
	}
	w.clock.Advance(ssoTripWindow + time.Second)
	wantStatus(t, w.get("/login/sso"), http.StatusSeeOther)
}
