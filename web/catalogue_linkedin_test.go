package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
)

// LinkedIn gives refresh tokens to approved partners only: everyone
// else's token is a 60-day access token alone. Its renewals (daily, the
// row's rate) keep it while it is good rather than calling for a
// reconnect a day after connecting; it warns "Reconnect within N days"
// as its end nears, and from its end apps are told to reconnect.
func TestCatalogueAccessTokenWithoutRefreshLivesItsLife(t *testing.T) {
	route := &catalogueRoute{}
	ts := newTestServer(t, func(d *testSetup) { d.HTTPClient = &http.Client{Timeout: provider.DefaultTimeout, Transport: route} })
	ts.signInAdmin()
	key := createClient(t, ts, "/clients", "Social poster")
	v := *oauthtest.Vendors["oauth2-linkedin"]
	v.NoRefresh = true // not an approved partner
	opts := v.Options()
	opts.Clock = ts.clock.Now
	emu, base := oauthtest.Start(t, opts)
	emu.AddClient(oauthtest.Client{ID: oauthClientID, Secret: oauthSecret, AuthMethod: v.AuthMethod, RedirectURIs: []string{ts.srv.redirectURI()}})
	route.set(base, "")
	p, _ := registry.ByID("oauth2-linkedin")
	f := rowForm(p, &v, "LinkedIn page")
	ts.get("/tokens/new/oauth2-linkedin")
	_, _, back := consentVia(t, ts, "/tokens/new/oauth2-linkedin", f, base)
	pend, _ := back.Doc.Find("input[name=pending]").Attr("value")
	if pend == "" {
		t.Fatalf("no token came back: %s", excerpt(back.Body))
	}
	f.Set("pending", pend)
	f.Set("client_secret", "")
	wantRedirect(t, ts.post("/tokens/new/oauth2-linkedin", f), "/tokens")
	connected := ts.clock.Now()
	id := tokenIDByName(t, ts, "LinkedIn page")
	tokPath := "/tokens/" + itoa(id)
	first := apiGet(t, ts, key, "LinkedIn page")
	if first.Status != http.StatusOK {
		t.Fatalf("runtime API %d %v", first.Status, first.Error)
	}

	// The next day's renewal keeps the token.
	ts.clock.Advance(25 * time.Hour)
	ts.signInAdmin()
	ts.get(tokPath)
	wantRedirect(t, ts.post(tokPath+"/renew", nil), tokPath)
	a := apiGet(t, ts, key, "LinkedIn page")
	if a.Status != http.StatusOK || a.Token["access_token"] != first.Token["access_token"] {
		t.Fatalf("a day later %d %+v", a.Status, a.Error)
	}
	if exp, _ := a.Token["expires_at"].(string); exp != first.Token["expires_at"] {
		t.Errorf("the renewal moved the expiry from %v to %q", first.Token["expires_at"], exp)
	}
	if emu.Refreshes() != 0 {
		t.Fatalf("%d refreshes without a refresh token", emu.Refreshes())
	}
	ts.signInAdmin()
	if s := ts.get(tokPath).text("[data-testid=renewal-status]"); s != "Healthy" {
		t.Errorf("status a day later %q", s)
	}

	// Thirteen days before the end: reconnect soon.
	ts.clock.Advance(connected.Add(47 * 24 * time.Hour).Sub(ts.clock.Now()))
	ts.signInAdmin()
	ts.get(tokPath)
	wantRedirect(t, ts.post(tokPath+"/renew", nil), tokPath)
	page := ts.get(tokPath)
	if s := page.text("[data-testid=renewal-status]"); s != "Reconnect within 13 days" {
		t.Errorf("status 13 days before the end %q", s)
	}
	end := connected.Add(60 * 24 * time.Hour).UTC().Format("2006-01-02")
	if got := page.text("[data-testid=refresh-expires]"); !strings.Contains(got, end) || !strings.Contains(page.Body, "Reconnect before") {
		t.Errorf("the page does not say to reconnect before %s: %q", end, got)
	}
	if a := apiGet(t, ts, key, "LinkedIn page"); a.Status != http.StatusOK {
		t.Fatalf("13 days before the end %d %+v", a.Status, a.Error)
	}

	// Past its 60 days: only a person can connect it again.
	ts.clock.Advance(14 * 24 * time.Hour)
	a = apiGet(t, ts, key, "LinkedIn page")
	if a.Status == http.StatusOK || !strings.Contains(a.Error.Message, "Reconnect") {
		t.Fatalf("after 61 days %d %+v", a.Status, a.Error)
	}
}
