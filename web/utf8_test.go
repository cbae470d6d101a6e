package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/store"
)

// Bytes that are not UTF-8 are refused next to their field, in every text
// input that is stored: 12 × 0xFF made an administrator no browser could
// sign in as, and names were stored raw.
func TestInvalidUTF8IsRefusedWithAFieldError(t *testing.T) {
	bad := strings.Repeat("\xff", 12)
	w := newAppWorld(t)
	users, _ := w.store.ListUsers(t.Context())
	dee := ""
	for _, u := range users {
		if u.Email == deeEmail {
			dee = itoa(u.ID)
		}
	}
	for _, tc := range []struct {
		name, page, post, field string
		form                    url.Values
	}{
		{"new user's password", "/users", "/users", "error-new-password", url.Values{"new-email": {"new@example.com"}, "new-password": {bad}, "role": {"admin"}}},
		{"new user's email", "/users", "/users", "error-new-email", url.Values{"new-email": {"n\xffw@example.com"}, "new-password": {"a long password 1"}}},
		{"password reset", "/users/" + dee, "/users/" + dee + "/password", "error-password", url.Values{"password": {bad}}},
		{"application name", "/apps", "/apps/new", "error-name", url.Values{"name": {"Lab \xff Feed"}, "kind": {"process"}}},
		{"API client name", "/clients", "/clients", "error-name", url.Values{"name": {"Nightly \xfe export"}}},
		{"token name", "/tokens/new/redox", "/tokens/new/redox", "error-name", withValue(redoxForm("Lab Feed"), "name", "Lab \xff Feed")},
		{"token description", "/tokens/new/redox", "/tokens/new/redox", "error-description", withValue(redoxForm("Lab Feed"), "description", "results \xc3(")},
		{"token secret", "/tokens/new/redox", "/tokens/new/redox", "error-secret", withValue(redoxForm("Lab Feed"), "secret", "rdx-\xff")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := w.store.ListUsers(t.Context())
			w.get(tc.page)
			p := w.post(tc.post, tc.form)
			wantStatus(t, p, http.StatusUnprocessableEntity)
			if msg := p.text("[data-testid=" + tc.field + "]"); !strings.Contains(msg, "not text (invalid UTF-8)") {
				t.Fatalf("field error %q", msg)
			}
			after, _ := w.store.ListUsers(t.Context())
			apps, _ := w.store.ListApps(t.Context(), 0)
			toks, _, _ := w.store.ListTokens(t.Context(), store.TokenFilter{})
			clients, _ := w.store.ListClients(t.Context(), 0)
			if len(after) != len(before) || len(apps) != 2 || len(toks) != 0 || len(clients) != 0 {
				t.Fatal("something was saved")
			}
		})
	}
	// The designer's password did not change: they still sign in.
	w.dee.signIn(deeEmail, designerPassword)
}

// The one-time setup refuses such a password too.
func TestSetupRefusesInvalidUTF8Password(t *testing.T) {
	ts := newTestServer(t, withoutUsers("ABCDE-FGHJK"))
	ts.get("/setup")
	p := ts.post("/setup", url.Values{"email": {"ada@example.com"}, "password": {strings.Repeat("\xff", 12)}, "code": {"ABCDE-FGHJK"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if msg := p.text("[data-testid=error-password]"); !strings.Contains(msg, "invalid UTF-8") {
		t.Fatalf("field error %q", msg)
	}
	if n, _ := ts.store.CountUsers(t.Context()); n != 0 {
		t.Fatal("an administrator was created")
	}
}

func withValue(v url.Values, key, value string) url.Values {
	v.Set(key, value)
	return v
}
