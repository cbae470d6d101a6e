package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// Issue 23: a person adds a passkey on Your account and signs in with it
// as the second step (then invites someone, who joins), in Chromium with a
// virtual authenticator (the DevTools WebAuthn domain) standing in for a
// security key. The console is reached as http://localhost:PORT: WebAuthn
// refuses IP addresses as relying parties, and localhost is a secure
// context over plain HTTP.
func TestInTheBrowserPasskeySignIn(t *testing.T) {
	t.Parallel() // beside the other browser and replica tests: its own processes, browser and database
	chromium := chromiumPath()
	if chromium == "" {
		t.Skip("SKIPPED browser tests: Chromium not found (apt-get install chromium)")
	}
	var back atomic.Pointer[httputil.ReverseProxy]
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { back.Load().ServeHTTP(w, r) }))
	defer front.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(front.URL, "http://"))
	base := "http://localhost:" + port
	inst, err := start(t, map[string]string{
		"TOKENDESK_DATA_DIR": t.TempDir(), "TOKENDESK_ADMIN_EMAIL": "ada@example.com", "TOKENDESK_ADMIN_PASSWORD": "correct horse battery",
		"TOKENDESK_BASE_URL": base,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.stop()
	target, _ := url.Parse(inst.base)
	back.Store(httputil.NewSingleHostReverseProxy(target))

	ctx := newChromium(t, chromium, 1280, 900)
	b := &browserRun{t: t, ctx: ctx, base: base, js: true, axe: axeSource(t), visits: map[string]bool{}}
	b.do(chromedp.Navigate(base + "/login"))
	var authenticator cdpwebauthn.AuthenticatorID
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, cdpwebauthn.Enable, cdpwebauthn.EnableParams{}); err != nil {
			return err
		}
		res, err := cdp.Call(ctx, tg, cdpwebauthn.AddVirtualAuthenticator, cdpwebauthn.AddVirtualAuthenticatorParams{Options: &cdpwebauthn.VirtualAuthenticatorOptions{
			Protocol: cdpwebauthn.AuthenticatorProtocolCtap2, Transport: cdpwebauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		}})
		authenticator = res.AuthenticatorID
		return err
	}))

	signIn := func(waitFor string) {
		b.visit("/login")
		b.fill(map[string]string{"email": "ada@example.com", "password": "correct horse battery"})
		b.submit("#password", waitFor)
	}
	signIn("[data-testid=signed-in-as]")

	// Add a passkey: the first factor, so the recovery codes follow.
	b.press("[data-testid=nav-account]", "[data-testid=add-passkey]")
	b.fill(map[string]string{"passkey-password": "correct horse battery"}) // factor changes need the password
	b.press("[data-testid=add-passkey]", "[data-testid=recovery-codes]")
	if n := strings.Count(b.text("[data-testid=recovery-codes]"), "-"); n < 10 {
		t.Fatalf("recovery codes shown: %q", b.text("[data-testid=recovery-codes]"))
	}
	if got := b.text("[data-testid=factor]"); !strings.Contains(got, "Passkey") {
		t.Fatalf("factor listed: %q", got)
	}
	var creds int
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, cdpwebauthn.GetCredentials, cdpwebauthn.GetCredentialsParams{AuthenticatorID: authenticator})
		creds = len(res.Credentials)
		return err
	}))
	if creds != 1 {
		t.Fatalf("the authenticator holds %d credentials, want 1", creds)
	}

	// Sign out, then in: the password alone is not enough any more.
	b.do(chromedp.Click(chromedp.CSS(`form[action="/logout"] button`), chromedp.NodeVisible), chromedp.WaitVisible(chromedp.ID("email")))
	signIn("[data-testid=use-passkey]")
	if loc := b.location(); loc != "/login/second-factor" {
		t.Fatalf("after the password: %s", loc)
	}
	b.press("[data-testid=use-passkey]", "[data-testid=signed-in-as]")
	if loc := b.location(); loc != "/tokens" {
		t.Fatalf("after the passkey: %s", loc)
	}

	// Invite someone (no mail server: the link is shown once), who then
	// chooses a password and is signed in.
	b.visit("/users/invite")
	b.fill(map[string]string{"invite-email": "cy@example.com"})
	b.submit("#invite-email", "[data-testid=invitation-link]")
	b.checked()
	link, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("[data-testid=invitation-link]")))
	if err != nil || !strings.HasPrefix(link, base+"/invitation?token=") {
		t.Fatalf("invitation link %q: %v", link, err)
	}
	b.do(chromedp.Click(chromedp.CSS(`form[action="/logout"] button`), chromedp.NodeVisible), chromedp.WaitVisible(chromedp.ID("email")))
	b.visit(strings.TrimPrefix(link, base))
	b.fill(map[string]string{"password": "cy's own long password"})
	b.submit("#password", "[data-testid=signed-in-as]")
	if got := b.text("[data-testid=signed-in-as]"); got != "cy@example.com" {
		t.Fatalf("signed in as %q", got)
	}
}
