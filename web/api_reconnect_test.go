package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/renewal"
	"github.com/tokendesk/tokendesk/internal/token"
)

// Review finding 4: once the refresh token's lifetime has run out, the
// token is dead for the runtime API as for the list, although its access
// token has time left: a fetch and a report answer 409 needs_reconnect,
// and the renewal worker does not call the service with the dead refresh
// token; it marks the token Needs reconnect, saying why.
func TestAnExpiredRefreshTokenAnswersNeedsReconnect(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true, RefreshTTL: 30 * time.Minute}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	id := connect(t, ts, emu, "Team Drive", "1h")
	key := createClient(t, ts, "/clients", "Backup job")
	first := apiGet(t, ts, key, "Team Drive")
	if first.Status != http.StatusOK {
		t.Fatalf("before: %d %+v", first.Status, first.Error)
	}

	ts.clock.Advance(31 * time.Minute) // the refresh token ran out; the access token has 29 minutes left
	if got := tokenRowStatus(t, ts, "Team Drive"); got != token.StatusNeedsReconnect {
		t.Fatalf("listed as %q", got)
	}
	a := apiGet(t, ts, key, "Team Drive")
	if a.Status != http.StatusConflict || a.Error.Code != "needs_reconnect" || a.Token["access_token"] != nil ||
		!strings.Contains(a.Error.Message, "/tokens/"+itoa(id)) {
		t.Fatalf("a fetch after the refresh token ran out: %d %s %q", a.Status, a.Error.Code, a.Error.Message)
	}
	if r := apiRefresh(t, ts, key, "Team Drive", rejected(first.Token["access_token"])); r.Status != http.StatusConflict || r.Error.Code != "needs_reconnect" {
		t.Fatalf("a report after the refresh token ran out: %d %s %q", r.Status, r.Error.Code, r.Error.Message)
	}

	// Due: the worker claims it but does not ask the service.
	ts.clock.Advance(time.Hour)
	if _, err := ts.srv.Renewer.(*renewal.Worker).RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	tok, _ := ts.store.TokenByID(t.Context(), id)
	if !tok.NeedsReconnect || !tok.NextRenewalAt.IsZero() || !strings.Contains(tok.LastError, "refresh token ran out") {
		t.Fatalf("after the worker: needs reconnect %v, next renewal %v, last error %q", tok.NeedsReconnect, tok.NextRenewalAt, tok.LastError)
	}
	if a := apiGet(t, ts, key, "Team Drive"); a.Status != http.StatusConflict || a.Error.Code != "needs_reconnect" {
		t.Fatalf("a fetch after the worker: %d %s %q", a.Status, a.Error.Code, a.Error.Message)
	}
}
