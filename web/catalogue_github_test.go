package web

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
)

// hostLog notes the host of every request tokendesk makes, then hands it
// on (to the catalogue's route).
type hostLog struct {
	mu    sync.Mutex
	hosts []string
	next  http.RoundTripper
}

func (h *hostLog) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.hosts = append(h.hosts, r.URL.Host)
	h.mu.Unlock()
	return h.next.RoundTrip(r)
}

func (h *hostLog) seen() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.hosts)
}

// A GitHub Enterprise Server token is tested and kept alive at that
// server's own API (https://{host}/api/v3), never at api.github.com, which
// would refuse it: an OAuth App's token there does not expire, so each
// renewal asks the who-am-I whether it still works, and a 401 from the
// wrong host would mark every Enterprise token "Needs reconnect".
func TestCatalogueGitHubEnterpriseServer(t *testing.T) {
	route := &catalogueRoute{}
	log := &hostLog{next: route}
	ts := newTestServer(t, func(d *testSetup) { d.HTTPClient = &http.Client{Timeout: provider.DefaultTimeout, Transport: log} })
	ts.signInAdmin()
	key := createClient(t, ts, "/clients", "Enterprise CI")
	v := *oauthtest.Vendors["oauth2-github"]
	// An OAuth App on the Enterprise Server: no expiry, no refresh token;
	// its REST API lives under /api/v3.
	v.NeverExpires, v.NoRefresh = true, true
	v.Resources = map[string]string{"GET /api/v3/user": v.Resources["GET /user"]}
	v.Fields = map[string]string{"github_host": "github.acme.test"}
	opts := v.Options()
	opts.Clock = ts.clock.Now
	emu, base := oauthtest.Start(t, opts)
	emu.AddClient(oauthtest.Client{ID: oauthClientID, Secret: oauthSecret, AuthMethod: v.AuthMethod, RedirectURIs: []string{ts.srv.redirectURI()}})
	route.set(base, "")
	p, _ := registry.ByID("oauth2-github")
	f := rowForm(p, &v, "Enterprise")
	ts.get("/tokens/new/oauth2-github")
	_, _, back := consentVia(t, ts, "/tokens/new/oauth2-github", f, base)
	pend, _ := back.Doc.Find("input[name=pending]").Attr("value")
	if pend == "" {
		t.Fatalf("no token came back: %s", excerpt(back.Body))
	}
	f.Set("pending", pend)
	f.Set("client_secret", "")
	wantRedirect(t, ts.post("/tokens/new/oauth2-github", f), "/tokens")
	want := "Access token “Enterprise” saved. Tested (Test Connection): Connected to GitHub as Demo User (demo-user)."
	if flash := ts.get("/tokens").text("[data-testid=flash]"); flash != want {
		t.Fatalf("flash %q, want %q", flash, want)
	}
	first := apiGet(t, ts, key, "Enterprise")
	if first.Status != http.StatusOK {
		t.Fatalf("runtime API %d %v", first.Status, first.Error)
	}
	// Past the row's 8 hours: renewed by asking the server's who-am-I.
	ts.clock.Advance(9 * time.Hour)
	if a := apiGet(t, ts, key, "Enterprise"); a.Status != http.StatusOK || a.Token["access_token"] != first.Token["access_token"] {
		t.Fatalf("after the renewal %d %+v", a.Status, a.Error)
	}
	ts.signInAdmin()
	tok, _ := ts.store.TokenByID(t.Context(), tokenIDByName(t, ts, "Enterprise"))
	if tok.MustReconnect(ts.clock.Now()) {
		t.Fatal("the Enterprise token needs a reconnect after its renewal")
	}
	hosts := log.seen()
	if len(hosts) < 3 {
		t.Fatalf("calls %v: want the token exchange, the test and the renewal's check", hosts)
	}
	for _, h := range hosts {
		if h != "github.acme.test" {
			t.Errorf("tokendesk called %s for a token of github.acme.test (all calls %v)", h, hosts)
		}
	}
}
