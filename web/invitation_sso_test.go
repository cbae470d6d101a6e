package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// With single sign-on on, an invitation offers the identity provider;
// with password sign-in off as well, it is the only way in: the page has
// no password form, and a password posted anyway makes nobody.
func TestInvitationWithSingleSignOn(t *testing.T) {
	w := newSSOWorld(t)
	invite := func(email string) string {
		t.Helper()
		w.get("/users/invite")
		p := w.post("/users/invite", url.Values{"invite-email": {email}, "role": {"designer"}})
		wantStatus(t, p, http.StatusOK)
		link, _ := p.Doc.Find("[data-testid=invitation-link]").Attr("value")
		_, token, ok := strings.Cut(link, "token=")
		if !ok {
			t.Fatalf("no link to copy: %q", link)
		}
		return token
	}
	admin := w.client

	token := invite("cy@example.com")
	w.client, w.last = w.newClient(), nil
	p := w.get("/invitation?token=" + token)
	wantStatus(t, p, http.StatusOK)
	if !strings.Contains(p.text("[data-testid=invitation-sso]"), "Sign in with Contoso ID") || p.Doc.Find("[data-testid=invitation-form]").Length() != 1 {
		t.Fatalf("with single sign-on on, the invitation offers both ways: %q", p.text("main"))
	}

	w.client, w.last = admin, nil
	w.get("/settings/sso")
	wantRedirect(t, w.post("/settings/sso", w.form(url.Values{"enabled": {"on"}, "password_off": {"on"}, "break_glass": {adminEmail}, "client_secret": {""}})), "/settings/sso")
	token = invite("di@example.com")
	w.client, w.last = w.newClient(), nil
	p = w.get("/invitation?token=" + token)
	wantStatus(t, p, http.StatusOK)
	if p.Doc.Find("[data-testid=invitation-form]").Length() != 0 || p.Doc.Find("[data-testid=invitation-sso] [data-testid=sso-signin-link]").Length() != 1 {
		t.Fatalf("with password sign-in off, the invitation leads to single sign-on only: %q", p.text("main"))
	}
	p = w.post("/invitation", url.Values{"token": {token}, "password": {"di's long enough password"}})
	wantStatus(t, p, http.StatusForbidden)
	if !strings.Contains(p.text("[data-testid=form-problem]"), "sign in with Contoso ID") {
		t.Fatalf("refusal: %q", p.text("[data-testid=form-problem]"))
	}
	if _, err := w.store.UserByEmail(context.Background(), "di@example.com"); err == nil {
		t.Fatal("a password posted with password sign-in off made the user")
	}
}
