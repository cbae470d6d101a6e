package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/store"
)

// fakeMailer keeps the messages it was asked to send.
type fakeMailer struct {
	mu   sync.Mutex
	sent []string // "to|subject|body"
}

func (m *fakeMailer) Send(_ context.Context, to []string, subject, body string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, strings.Join(to, ",")+"|"+subject+"|"+body)
	return nil
}

var invitationLink = regexp.MustCompile(`https?://[^\s"]+/invitation\?token=[A-Za-z0-9_-]+`)

// Without a mail server the administrator sees the link once; the invited
// person chooses a password (house rules) and is signed in; the link then
// refuses, as does an expired one, and nothing is created by a refusal.
func TestInvitationWithoutMail(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/users/invite")
	for _, tc := range []struct {
		form        url.Values
		field, want string
	}{
		{url.Values{"invite-email": {"not an email"}}, "error-invite-email", "Enter an email address"},
		{url.Values{"invite-email": {adminEmail}}, "error-invite-email", "already exists"},
		{url.Values{"invite-email": {"cy@example.com"}, "role": {"admin"}, "app": {"1"}}, "error-app", "Only an app designer"},
	} {
		p := ts.post("/users/invite", tc.form)
		wantStatus(t, p, http.StatusUnprocessableEntity)
		if got := p.text("[data-testid=" + tc.field + "]"); !strings.Contains(got, tc.want) {
			t.Fatalf("%v: %q, want %q", tc.form, got, tc.want)
		}
	}
	p := ts.post("/users/invite", url.Values{"invite-email": {"Cy@Example.com"}, "role": {"designer"}})
	wantStatus(t, p, http.StatusOK)
	link, _ := p.Doc.Find("[data-testid=invitation-link]").Attr("value")
	if !invitationLink.MatchString(link) {
		t.Fatalf("no link to copy: %q", link)
	}
	if !strings.Contains(p.text("[data-testid=invitation-sent]"), "29 November 2026") {
		t.Fatalf("the expiry is not shown: %q", p.text("[data-testid=invitation-sent]"))
	}
	if !hasAudit(t, ts, store.ActionInvite+" cy@example.com") {
		t.Fatalf("not audited: %v", auditActions(t, ts))
	}
	token := link[strings.Index(link, "token=")+len("token="):]
	if strings.Contains(ts.logs.String(), token) {
		t.Fatal("the invitation's secret reached the log")
	}
	if strings.Contains(ts.get("/users/invite").Body, token) {
		t.Fatal("the link is shown again")
	}

	invited := ts.newClient()
	ts.client = invited
	p = ts.get("/invitation?token=" + token)
	wantStatus(t, p, http.StatusOK)
	p = ts.post("/invitation", url.Values{"token": {token}, "password": {"short"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if _, err := ts.store.UserByEmail(context.Background(), "cy@example.com"); err == nil {
		t.Fatal("a refused password made the user")
	}
	wantRedirect(t, ts.post("/invitation", url.Values{"token": {token}, "password": {"cy's own long password"}}), "/")
	wantStatus(t, ts.get("/apps"), http.StatusOK) // signed in, no password change asked
	if !hasAudit(t, ts, store.ActionInviteAccept+" cy@example.com") {
		t.Fatalf("acceptance not audited: %v", auditActions(t, ts))
	}

	// Used: refused.
	ts.client = ts.newClient()
	p = ts.get("/invitation?token=" + token)
	wantStatus(t, p, http.StatusGone)
	if !strings.Contains(p.text("[data-testid=invitation-refused]"), "used already") {
		t.Fatalf("used link: %q", p.text("[data-testid=invitation-refused]"))
	}
	ts.get("/login")
	wantStatus(t, ts.post("/invitation", url.Values{"token": {token}, "password": {"someone else's password"}}), http.StatusGone)
	wantStatus(t, ts.get("/invitation?token=made-up"), http.StatusNotFound)

	// Expired: refused, and nothing created.
	ts.client = ts.newClient()
	ts.signInAdmin()
	ts.get("/users/invite")
	p = ts.post("/users/invite", url.Values{"invite-email": {"late@example.com"}})
	link, _ = p.Doc.Find("[data-testid=invitation-link]").Attr("value")
	late := link[strings.Index(link, "token=")+len("token="):]
	ts.clock.Advance(7*24*time.Hour + time.Second)
	ts.client = ts.newClient()
	p = ts.get("/invitation?token=" + late)
	wantStatus(t, p, http.StatusGone)
	if !strings.Contains(p.text("[data-testid=invitation-refused]"), "expired") {
		t.Fatalf("expired link: %q", p.text("[data-testid=invitation-refused]"))
	}
	wantStatus(t, ts.post("/invitation", url.Values{"token": {late}, "password": {"a long enough password"}}), http.StatusGone)
	if _, err := ts.store.UserByEmail(context.Background(), "late@example.com"); err == nil {
		t.Fatal("an expired invitation made the user")
	}
}

// With a mail server the link goes by mail, never onto the page; a
// designer invited to an app designs it once they join. Designers cannot
// invite.
func TestInvitationByMail(t *testing.T) {
	mail := &fakeMailer{}
	ts := newTestServer(t, func(d *testSetup) { d.Mailer = mail })
	app, err := ts.store.CreateApp(context.Background(), "Billing", "process", nil, adminEmail)
	if err != nil {
		t.Fatal(err)
	}
	ts.signInAdmin()
	ts.get("/users/invite")
	p := ts.post("/users/invite", url.Values{"invite-email": {"dee@example.com"}, "role": {"designer"}, "app": {itoa(app.ID)}})
	wantStatus(t, p, http.StatusOK)
	if p.Doc.Find("[data-testid=invitation-link]").Length() != 0 || invitationLink.MatchString(p.Body) {
		t.Fatal("the link is on the page although it was mailed")
	}
	if len(mail.sent) != 1 || !strings.HasPrefix(mail.sent[0], "dee@example.com|") {
		t.Fatalf("mail: %q", mail.sent)
	}
	link := invitationLink.FindString(mail.sent[0])
	if link == "" {
		t.Fatalf("no link in the mail: %q", mail.sent[0])
	}
	ts.client = ts.newClient()
	ts.get(link[strings.Index(link, "/invitation"):])
	wantRedirect(t, ts.post("/invitation", url.Values{"token": {link[strings.Index(link, "token=")+6:]}, "password": {"dee's own long password"}}), "/")
	dee, _ := ts.store.UserByEmail(context.Background(), "dee@example.com")
	if ok, _ := ts.store.IsDesigner(context.Background(), app.ID, dee.ID); !ok {
		t.Fatal("the invited designer does not design the app")
	}
	ts.get("/apps")
	wantStatus(t, ts.post("/users/invite", url.Values{"invite-email": {"eve@example.com"}}), http.StatusForbidden)
}
