package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Changing second factors needs the current password: a browser left
// open is not enough to add an intruder's authenticator app, make new
// recovery codes or remove a factor. Nothing changes without it.
func TestFactorChangesNeedTheCurrentPassword(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ctx := context.Background()
	factors := func() int {
		f, err := ts.store.Factors(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		return len(f)
	}
	ts.get("/account")
	for _, pw := range []string{"", "wrong password"} {
		p := ts.post("/account/totp", url.Values{"totp-password": {pw}})
		wantStatus(t, p, http.StatusUnprocessableEntity)
		if p.Doc.Find("[data-testid=totp-secret]").Length() != 0 || factors() != 0 {
			t.Fatalf("password %q: an authenticator app was started", pw)
		}
		if got := p.text("[data-testid=error-totp-password]"); !strings.Contains(got, "current password") {
			t.Fatalf("password %q: message %q", pw, got)
		}
	}
	_, codes := enrolTOTP(t, ts)

	for _, pw := range []string{"", "wrong password"} {
		p := ts.post("/account/recovery-codes", url.Values{"recovery-password": {pw}})
		wantStatus(t, p, http.StatusUnprocessableEntity)
		if p.Doc.Find("[data-testid=recovery-code]").Length() != 0 || !strings.Contains(p.text("[data-testid=error-recovery-password]"), "current password") {
			t.Fatalf("password %q: new recovery codes shown, or no message", pw)
		}
	}
	if left, _ := ts.store.RecoveryCodesLeft(ctx, 1); left != len(codes) {
		t.Fatalf("recovery codes left %d, want %d", left, len(codes))
	}
	p := ts.post("/account/recovery-codes", url.Values{"recovery-password": {adminPassword}})
	wantStatus(t, p, http.StatusOK)
	if p.Doc.Find("[data-testid=recovery-code]").Length() != 10 {
		t.Fatal("no new recovery codes with the password")
	}

	f, _ := ts.store.Factors(ctx, 1)
	path := "/account/factors/" + itoa(f[0].ID) + "/remove"
	if p := ts.post(path, nil); p.Doc.Find("input#current-password").Length() != 1 {
		t.Fatal("the confirmation asks for no password")
	}
	for _, pw := range []string{"", "wrong password"} {
		p := ts.post(path, url.Values{"confirmed": {"yes"}, "current-password": {pw}})
		wantStatus(t, p, http.StatusUnprocessableEntity)
		if factors() != 1 || !strings.Contains(p.text("[data-testid=error-current-password]"), "current password") {
			t.Fatalf("password %q: the factor was removed", pw)
		}
	}
	wantRedirect(t, ts.post(path, url.Values{"confirmed": {"yes"}, "current-password": {adminPassword}}), "/account")
	if factors() != 0 {
		t.Fatal("not removed with the password")
	}
}
