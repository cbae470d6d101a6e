package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
)

// QuickBooks' realmId ends up in a path (/v3/company/{realm_id}): a value
// of dots would climb it, so only letters, digits, "-" and "_" are taken.
// The form says the realmId is missing, and no token is held.
func TestCallbackValueOfDotsIsRefused(t *testing.T) {
	route := &catalogueRoute{}
	ts := newTestServer(t, func(d *testSetup) { d.HTTPClient = &http.Client{Timeout: provider.DefaultTimeout, Transport: route} })
	ts.signInAdmin()
	p, _ := registry.ByID("oauth2-quickbooks")
	for _, realm := range []string{"..", ".", "1234.5678"} {
		t.Run(realm, func(t *testing.T) {
			v := *oauthtest.Vendors["oauth2-quickbooks"]
			v.Callback = map[string]string{"realmId": realm}
			opts := v.Options()
			opts.Clock = ts.clock.Now
			emu, base := oauthtest.Start(t, opts)
			emu.AddClient(oauthtest.Client{ID: oauthClientID, Secret: oauthSecret, AuthMethod: v.AuthMethod, RedirectURIs: []string{ts.srv.redirectURI()}})
			route.set(base, "")
			f := rowForm(p, &v, "Books")
			ts.get("/tokens/new/oauth2-quickbooks")
			f.Set("action", "get_token")
			loc, _ := url.Parse(consentURL(t, ts.post("/tokens/new/oauth2-quickbooks", f)))
			loc.Scheme, loc.Host = "http", strings.TrimPrefix(base, "http://")
			back := browse(t, loc.String())
			if got := back.Query().Get("realmId"); got != realm {
				t.Fatalf("the emulator sent realmId %q, want %q", got, realm)
			}
			cb := ts.get(back.Path + "?" + back.RawQuery)
			form := ts.get(cb.Header.Get("Location"))
			if prob := form.text("[data-testid=consent-outcome] strong"); !strings.HasPrefix(prob, "QuickBooks Online sent you back without realmId") {
				t.Fatalf("outcome %q", prob)
			}
			if strings.Contains(form.text("[data-testid=stored-access_token]"), "Obtained") {
				t.Fatal("a token was held with realmId " + realm)
			}
		})
	}
}
