package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/tokendesk/tokendesk/internal/oidctest"
	"github.com/tokendesk/tokendesk/internal/store"
)

// An e-mail the provider does not vouch for never takes over an existing
// account: missing, false or the string "false" are all refused, and the
// administrator's account, role and sessions stay as they were. A
// verified one links the account to the provider's subject, which then
// keeps signing in when the address changes at the provider.
func TestSSOLinksExistingAccountsOnlyByVerifiedEmail(t *testing.T) {
	w := newSSOWorld(t)
	ctx := context.Background()
	adminBrowser := w.client
	// Someone at the provider (another subject) claims the administrator's address.
	w.idp.AddUser(oidctest.User{Subject: "mallory", Email: adminEmail, Name: "Mallory", Groups: []string{"staff", "billing-devs"}})
	for name, tamper := range map[string]func(jwt.MapClaims){
		"missing":  func(c jwt.MapClaims) { delete(c, "email_verified") },
		"false":    func(c jwt.MapClaims) { c["email_verified"] = false },
		"string":   func(c jwt.MapClaims) { c["email_verified"] = "false" },
		"string-t": func(c jwt.MapClaims) { c["email_verified"] = "true" },
	} {
		w.idp.Tamper(tamper)
		p := w.signInSSO("mallory")
		wantStatus(t, p, http.StatusForbidden)
		if !strings.Contains(p.text("[data-testid=error-message]"), "does not say it has verified that address") {
			t.Fatalf("%s: refusal %q", name, p.text("[data-testid=error-message]"))
		}
		w.wantSignedOut()
	}
	if u, err := w.store.UserByEmail(ctx, adminEmail); err != nil || u.Role != store.RoleAdmin || !u.Active {
		t.Fatalf("the administrator after the refusals: %+v %v", u, err)
	}
	w.client = adminBrowser
	wantStatus(t, w.get("/settings"), http.StatusOK)

	// Verified (the emulator's default): linked, and bound to "ada".
	wantRedirect(t, w.signInSSO("ada"), "/apps")
	// Now mallory, even verified, cannot take the bound account.
	p := w.signInSSO("mallory")
	wantStatus(t, p, http.StatusForbidden)
	w.client = adminBrowser
	wantStatus(t, w.get("/settings"), http.StatusOK)

	// The address changes at the provider: same account.
	w.idp.AddUser(oidctest.User{Subject: "ada", Email: "ada.lovelace@example.com", Name: "Ada", Groups: []string{"td-admins"}})
	wantRedirect(t, w.signInSSO("ada"), "/apps")
	u, err := w.store.UserByEmail(ctx, "ada.lovelace@example.com")
	if err != nil || u.Role != store.RoleAdmin {
		t.Fatalf("ada after the change of address: %+v %v", u, err)
	}
	if _, err := w.store.UserByEmail(ctx, adminEmail); err == nil {
		t.Fatal("a second account was made instead of following the address")
	}
	// The new address is another account's: refused clearly.
	w.addUser("carol@example.com", "carol password 123", store.RoleDesigner)
	w.idp.AddUser(oidctest.User{Subject: "ada", Email: "carol@example.com", Name: "Ada", Groups: []string{"td-admins"}})
	p = w.signInSSO("ada")
	wantStatus(t, p, http.StatusConflict)
	if !strings.Contains(p.text("[data-testid=error-message]"), "another tokendesk account already has") {
		t.Fatalf("collision: %q", p.text("[data-testid=error-message]"))
	}
	if b, _ := w.store.UserByEmail(ctx, "carol@example.com"); b.Role != store.RoleDesigner {
		t.Fatalf("carol's account changed: %+v", b)
	}
}

// "Trust the email addresses … sends" (off by default) lets an Entra ID
// set-up, which sends no email_verified, link an existing account.
func TestSSOTrustEmailSettingLinksWithoutEmailVerified(t *testing.T) {
	w := newSSOWorld(t)
	ctx := context.Background()
	w.addUser("carol@example.com", "carol password 123", store.RoleDesigner)
	w.idp.AddUser(oidctest.User{Subject: "carol", Email: "carol@example.com", Name: "Carol", Groups: []string{"billing-devs"}})
	if p := w.get("/settings/sso"); p.Doc.Find("input#trust_email:not([checked])").Length() != 1 {
		t.Fatal("the trust setting is missing or on by default")
	}
	w.idp.Tamper(func(c jwt.MapClaims) { delete(c, "email_verified") })
	wantStatus(t, w.signInSSO("carol"), http.StatusForbidden)

	w.client = w.newClient()
	w.signInAdmin()
	w.get("/settings/sso")
	wantRedirect(t, w.post("/settings/sso", w.form(url.Values{"enabled": {"on"}, "trust_email": {"on"}})), "/settings/sso")
	if set, _ := w.store.SSOSettingsNow(ctx); !set.TrustEmail || !set.Enabled {
		t.Fatalf("after ticking: %+v", set)
	}
	w.idp.Tamper(func(c jwt.MapClaims) { delete(c, "email_verified") })
	wantRedirect(t, w.signInSSO("carol"), "/apps")
	if apps := w.get("/apps"); !strings.Contains(apps.Body, "Billing") {
		t.Fatal("carol is not signed in to her account")
	}
}
