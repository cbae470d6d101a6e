package web

import (
	"bytes"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
)

// Review finding 1: an app reports the current token refused and the
// renewal that report causes fails (the service throttles, or answers
// 500). No fetch hands that token out again, on this replica or another
// (which learns of the report through the change log): each answers 503
// renewal_failed with Retry-After, without asking the service before its
// retry time; once the service recovers and that time has come, a fetch
// renews the token on demand and serves the new one.
func TestAFetchNeverServesATokenAnAppReportedRefused(t *testing.T) {
	for name, fault := range map[string]oauthtest.Fault{"throttled": oauthtest.Throttle, "HTTP 500": oauthtest.Fail500} {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t)
			emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
			ts.signInAdmin()
			id := connect(t, ts, emu, "Team Drive", "1h")
			key := createClient(t, ts, "/clients", "Backup job")
			other := ts.replica()
			// Both replicas have served (and keep) the token's answer.
			first := apiGet(t, ts, key, "Team Drive")
			if o := apiGet(t, other, key, "Team Drive"); first.Status != http.StatusOK || o.Token["access_token"] != first.Token["access_token"] {
				t.Fatalf("before: %d %d", first.Status, o.Status)
			}
			refused := first.Token["access_token"]
			ts.clock.Advance(time.Minute)
			emu.SetFault(fault)

			if a := apiRefresh(t, ts, key, "Team Drive", rejected(refused)); a.Status != http.StatusServiceUnavailable || a.Error.Code != "renewal_failed" {
				t.Fatalf("the report: %d %s %q", a.Status, a.Error.Code, a.Error.Message)
			}
			failed, _ := ts.store.TokenByID(t.Context(), id)
			ts.clock.Advance(time.Second)
			g := apiGet(t, ts, key, "Team Drive")
			if secs, _ := strconv.Atoi(g.Header.Get("Retry-After")); g.Status != http.StatusServiceUnavailable || g.Error.Code != "renewal_failed" || secs < 1 {
				t.Fatalf("a fetch after the report: %d %s %q Retry-After %q (same refused token: %v)",
					g.Status, g.Error.Code, g.Error.Message, g.Header.Get("Retry-After"), g.Token["access_token"] == refused)
			}
			if tok, _ := ts.store.TokenByID(t.Context(), id); tok.Failures != failed.Failures || failed.Failures == 0 {
				t.Fatalf("a fetch asked the service again before the renewal's retry time: %d failures, then %d", failed.Failures, tok.Failures)
			}
			other.srv.index.Sync(t.Context()) // the replica's next poll of the change log
			if o := apiGet(t, other, key, "Team Drive"); o.Status == http.StatusOK || o.Token["access_token"] == refused {
				t.Fatalf("the other replica after the report: %d, same refused token: %v", o.Status, o.Token["access_token"] == refused)
			}

			// What is stored says which token was refused without being it.
			tok, _ := ts.store.TokenByID(t.Context(), id)
			if len(tok.Rejection) != 32 || bytes.Contains(tok.Rejection, []byte(refused.(string))) {
				t.Fatalf("stored rejection: %d bytes", len(tok.Rejection))
			}

			// The service recovers; past the retry time a fetch renews.
			emu.SetFault(oauthtest.NoFault)
			tok, _ = ts.store.TokenByID(t.Context(), id)
			ts.clock.Advance(tok.NextRenewalAt.Sub(ts.clock.Now()) + time.Second)
			refreshes := emu.Refreshes()
			after := apiGet(t, ts, key, "Team Drive")
			if after.Status != http.StatusOK || after.Token["access_token"] == refused || emu.Refreshes() != refreshes+1 {
				t.Fatalf("after the service recovered: %d %+v, %d refreshes", after.Status, after.Error, emu.Refreshes()-refreshes)
			}
			other.srv.index.Sync(t.Context())
			if o := apiGet(t, other, key, "Team Drive"); o.Status != http.StatusOK || o.Token["access_token"] != after.Token["access_token"] {
				t.Fatalf("the other replica after the renewal: %d %+v", o.Status, o.Error)
			}
		})
	}
}

// Review finding 1, the refresh_too_soon case: the token was renewed less
// than 30 s ago and the app reports the new one refused too. A fetch does
// not serve it, nor renew it before the 30 s are over (a looping app must
// not storm the service); after them, a fetch renews it on demand.
func TestAFetchAfterATooSoonReportWaitsOutTheGap(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	connect(t, ts, emu, "Team Drive", "1h")
	key := createClient(t, ts, "/clients", "Backup job")
	first := apiGet(t, ts, key, "Team Drive")
	ts.clock.Advance(time.Minute)
	renewed := apiRefresh(t, ts, key, "Team Drive", rejected(first.Token["access_token"]))
	if renewed.Status != http.StatusOK {
		t.Fatalf("first report: %d %+v", renewed.Status, renewed.Error)
	}
	refused := renewed.Token["access_token"]
	ts.clock.Advance(5 * time.Second)
	if soon := apiRefresh(t, ts, key, "Team Drive", rejected(refused)); soon.Error.Code != "refresh_too_soon" {
		t.Fatalf("second report: %d %+v", soon.Status, soon.Error)
	}
	refreshes := emu.Refreshes()
	g := apiGet(t, ts, key, "Team Drive")
	if secs, _ := strconv.Atoi(g.Header.Get("Retry-After")); g.Status != http.StatusServiceUnavailable || g.Error.Code != "refresh_too_soon" ||
		secs < 1 || secs > 25 || emu.Refreshes() != refreshes {
		t.Fatalf("a fetch within 30 s: %d %s Retry-After %q, same refused token: %v, %d refreshes",
			g.Status, g.Error.Code, g.Header.Get("Retry-After"), g.Token["access_token"] == refused, emu.Refreshes()-refreshes)
	}
	ts.clock.Advance(26 * time.Second)
	after := apiGet(t, ts, key, "Team Drive")
	if after.Status != http.StatusOK || after.Token["access_token"] == refused || emu.Refreshes() != refreshes+1 {
		t.Fatalf("a fetch after 30 s: %d %+v, %d refreshes", after.Status, after.Error, emu.Refreshes()-refreshes)
	}
}
