package web

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider/redox/redoxtest"
)

// Issue 18 item 21: the sentences a newcomer tripped over read right.
func TestWordingReadsRight(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()

	// Zoom's scopes follow the time after a space.
	ts.get("/tokens/new/zoom-s2s")
	ts.zoom.SetScopes(zoomClient, "meeting:write:admin user:read:admin")
	form := url.Values{"name": {"Zoom S2S"}, "region": {"zoom"}, "account_id": {zoomAccount}, "client_id": {zoomClient},
		"client_secret": {zoomClientSecret}, "renewal_rate": {"1h"}, "action": {"get_token"}}
	_, steps := resultOf(ts.post("/tokens/new/zoom-s2s", form), "get_token")
	if last := steps[len(steps)-1]; !strings.Contains(last, "UTC (scopes: meeting:write:admin user:read:admin)") {
		t.Fatalf("steps %q", steps)
	}

	// The fields a button needs stand above it.
	ts.get("/tokens/new/oauth2")
	p := ts.post("/tokens/new/oauth2", url.Values{"name": {"IdP"}, "grant_type": {"authorization_code"}, "renewal_rate": {"disabled"}, "action": {"get_token"}})
	if s, _ := resultOf(p, "get_token"); s != "Get OAuth 2.0 Access Token needs the credentials marked above; fix them and try again." {
		t.Fatalf("summary %q", s)
	}

	// One failing token is "its", not "their".
	failing := saveRedox(t, ts, "/tokens", "Billing Feed")
	ts.clock.Advance(time.Hour)
	ts.redox.SetFault(redoxtest.Fail500)
	ts.get("/tokens/" + itoa(failing))
	ts.post("/tokens/"+itoa(failing)+"/renew", nil)
	ts.redox.SetFault(redoxtest.NoFault)
	if got := strings.Join(strings.Fields(ts.get("/tokens").text("[data-testid=failing-count]")), " "); got != "1 token's renewal is failing: its access token will expire unless someone looks." {
		t.Fatalf("failing count %q", got)
	}

	// With no designers yet, the Users page is a link.
	if href, _ := ts.get("/apps").Doc.Find("[data-testid=no-designers] a").Attr("href"); href != "/users" {
		t.Fatalf("Users page link %q", href)
	}
}

// A refusal's own full stop is not doubled ("…denied.”." read as a typo).
func TestRefusalQuoteKeepsOneStop(t *testing.T) {
	got := providerRefusal("idp.example", "access_denied", "The user denied the request.")
	if !strings.Contains(got, "It said: “The user denied the request.” Press") {
		t.Fatalf("%q", got)
	}
	if got := providerRefusal("idp.example", "access_denied", "no"); !strings.Contains(got, "It said: “no”. Press") {
		t.Fatalf("%q", got)
	}
}
