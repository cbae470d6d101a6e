package web

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/renewal"
)

// The Zoom user OAuth preset against Zoom's own emulator (spec §2c):
// consent, the code exchanged with HTTP Basic, Zoom's lowercase bearer and
// api_url kept and returned, and its rotating refresh tokens renewed.
func TestOAuthZoomUserPresetAgainstZoom(t *testing.T) {
	ts := newTestServer(t)
	ts.zoom.AddUserApp(zoomAccount, "zu-client", "zu-secret-55", ts.srv.redirectURI())
	ts.zoom.SetAutoApprove(true)
	ts.signInAdmin()
	ts.get("/tokens/new/oauth2-zoom-user")
	f := url.Values{"name": {"Zoom Calendar"}, "grant_type": {"authorization_code"}, "client_id": {"zu-client"}, "client_secret": {"zu-secret-55"},
		"client_auth": {"client_secret_basic"}, "auth_url": {ts.zoomURL + "/oauth/authorize"}, "token_url": {ts.zoomURL + "/oauth/token"},
		"pkce": {"on"}, "renewal_rate": {"1h"}}
	_, _, p := consent(t, ts, "/tokens/new/oauth2-zoom-user", f)
	pend, _ := p.Doc.Find("input[name=pending]").Attr("value")
	f.Set("client_secret", "")
	f.Set("pending", pend)
	wantRedirect(t, ts.post("/tokens/new/oauth2-zoom-user", f), "/tokens")
	id := tokenIDByName(t, ts, "Zoom Calendar")
	first, _ := ts.store.TokenValues(t.Context(), id)
	if first["refresh_token"] == "" || first["api_url"] == "" {
		t.Fatalf("stored %v", keysOf(first))
	}
	key := createClient(t, ts, "/clients", "Calendar sync")
	if a := apiGet(t, ts, key, "Zoom Calendar"); a.Status != 200 || a.Token["api_url"] != first["api_url"] || a.Token["access_token"] != first["access_token"] {
		t.Fatalf("runtime API %d %v", a.Status, a.Token)
	}
	worker := ts.srv.Renewer.(*renewal.Worker)
	for range 3 {
		ts.clock.Advance(time.Hour + time.Minute)
		if _, err := worker.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	last, _ := ts.store.TokenValues(t.Context(), id)
	tok, _ := ts.store.TokenByID(t.Context(), id)
	if ts.zoom.Refreshes() != 3 || tok.Failures != 0 || last["refresh_token"] == first["refresh_token"] {
		t.Fatalf("refreshes %d, failures %d (%s)", ts.zoom.Refreshes(), tok.Failures, tok.LastError)
	}
}
