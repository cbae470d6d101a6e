package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/auth"
)

// failingUpdates is the session table with a database that refuses to
// update rows while failing is set.
type failingUpdates struct {
	auth.SessionBackend
	failing atomic.Bool
}

func (f *failingUpdates) UpdateSession(ctx context.Context, idHash, data string, lastSeen time.Time) error {
	if f.failing.Load() {
		return errors.New("database is locked")
	}
	return f.SessionBackend.UpdateSession(ctx, idHash, data, lastSeen)
}

// The half-signed-in session is pending from its first write: a database
// error after the password step can not leave the browser fully signed in
// without the second factor.
func TestPasswordStepWritesThePendingSessionOnce(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	enrolTOTP(t, ts)

	fail := &failingUpdates{SessionBackend: ts.srv.sessions.Backend}
	ts.srv.sessions.Backend = fail
	ts.client = ts.newClient()
	ts.get("/login")
	fail.failing.Store(true)
	p := ts.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}})
	fail.failing.Store(false)
	if p.StatusCode >= 500 {
		t.Logf("sign-in answered %d", p.StatusCode)
	} else {
		wantRedirect(t, p, "/login/second-factor")
	}
	// Whatever the browser holds now opens nothing without the code.
	wantRedirect(t, ts.get("/tokens"), "/login?next=%2Ftokens")
	if p := ts.get("/settings"); p.StatusCode == http.StatusOK {
		t.Fatal("settings open without the second factor")
	}
}
