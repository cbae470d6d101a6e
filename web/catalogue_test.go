package web

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/oauth"
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
)

// catalogueRoute sends every request for a vendor's host (and for the
// process's Zoom, which TOKENDESK_ZOOM_OAUTH_URL points at an emulator) to
// the emulator playing that vendor, path and query kept, as DNS would in a
// test lab: the row's own URLs are what is exercised.
type catalogueRoute struct {
	mu   sync.Mutex
	to   *url.URL
	also string // a loopback host rerouted too
}

func (v *catalogueRoute) set(base, also string) {
	u, _ := url.Parse(base)
	v.mu.Lock()
	v.to, v.also = u, also
	v.mu.Unlock()
}

func (v *catalogueRoute) RoundTrip(r *http.Request) (*http.Response, error) {
	v.mu.Lock()
	to, also := v.to, v.also
	v.mu.Unlock()
	if to != nil && (r.URL.Hostname() != "127.0.0.1" || r.URL.Host == also) {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host, r.Host = to.Scheme, to.Host, to.Host
	}
	return http.DefaultTransport.RoundTrip(r)
}

// rowForm is a row's form as it comes (its URLs, client authentication,
// scope, parameters, PKCE and Renewal Rate), with the test data's own
// fields and the client's credentials typed in.
func rowForm(p provider.Provider, v *oauthtest.Vendor, name string) url.Values {
	f := url.Values{}
	for _, fd := range p.Fields {
		switch {
		case fd.Control == provider.Copy || fd.Control == provider.Button:
		case fd.Control == provider.Checkbox:
			if fd.Default != "" {
				f.Set(fd.Key, "on")
			}
		case fd.Default != "":
			f.Set(fd.Key, fd.Default)
		}
	}
	f.Set("name", name)
	f.Set("grant_type", oauth.GrantAuthCode)
	f.Set("client_id", oauthClientID)
	f.Set("client_secret", oauthSecret)
	for k, x := range v.Fields {
		f.Set(k, x)
	}
	if v.Scope != "" {
		f.Set("scope", v.Scope)
	}
	return f
}

// Every row of the catalogue, end to end against the emulator playing its
// vendor (oauthtest.Vendors: its paths, client authentication, scope
// separator, required and offline parameters, JSON bodies, form-encoded
// answers, answer fields, callback parameters, lookups, token header,
// rotation, missing or zero expires_in): the browser is sent to the
// vendor's host with the row's fields filled in, the callback's code is
// exchanged, Save tests the who-am-I, the runtime API hands out the token
// with the values the row declares, the token is renewed once its access
// token is due (a refresh, or for tokens that do not expire a check that
// it still works), and Test Connection names the account. A row without
// test data fails.
func TestCatalogueEveryServiceEndToEnd(t *testing.T) {
	route := &catalogueRoute{}
	ts := newTestServer(t, func(d *testSetup) { d.HTTPClient = &http.Client{Timeout: provider.DefaultTimeout, Transport: route} })
	ts.signInAdmin()
	key := createClient(t, ts, "/clients", "Catalogue consumer")
	zoomHost := strings.TrimPrefix(ts.zoomURL, "http://")
	if len(oauth.Presets) < 30 {
		t.Fatalf("the catalogue has %d services, want the 30 of oauth-services.md", len(oauth.Presets))
	}
	for i, ps := range oauth.Presets {
		t.Run(ps.Name, func(t *testing.T) {
			v, ok := oauthtest.Vendors[ps.ID]
			if !ok {
				t.Fatalf("no test data: add the vendor's behaviour to oauthtest.Vendors[%q]", ps.ID)
			}
			p, _ := registry.ByID(ps.ID)
			opts := v.Options()
			opts.Clock = ts.clock.Now
			emu, base := oauthtest.Start(t, opts)
			method := v.AuthMethod
			if method == "" {
				method = oauthtest.ClientSecretBasic
			}
			emu.AddClient(oauthtest.Client{ID: oauthClientID, Secret: oauthSecret, AuthMethod: method, RedirectURIs: []string{ts.srv.redirectURI()}})
			authHost, also := v.AuthHost, ""
			if ps.ID == "oauth2-zoom-user" {
				// The process points Zoom at its emulator (TOKENDESK_ZOOM_OAUTH_URL).
				authHost, also = zoomHost, zoomHost
			}
			route.set(base, also)

			name := "Catalogue " + itoa(int64(i+1))
			f := rowForm(p, v, name)
			newPath := "/tokens/new/" + ps.ID
			ts.get(newPath)
			start := f
			start.Set("action", "get_token")
			loc, err := url.Parse(consentURL(t, ts.post(newPath, start)))
			if err != nil {
				t.Fatal(err)
			}
			start.Del("action")
			if loc.Host != authHost {
				t.Fatalf("the browser is sent to %s, want %s (%s)", loc.Host, authHost, loc)
			}
			for k, want := range map[string]string{"audience": v.RequireParams["audience"], "owner": v.RequireParams["owner"]} {
				if want != "" && loc.Query().Get(k) != want {
					t.Fatalf("authorization request without %s=%s: %s", k, want, loc.RawQuery)
				}
			}
			noSecrets(t, "the authorization URL", loc.String(), oauthSecret)
			loc.Scheme, loc.Host = "http", strings.TrimPrefix(base, "http://")
			back := browse(t, loc.String())
			if e := back.Query().Get("error"); e != "" {
				t.Fatalf("%s refused the authorization request: %s %s", v.Name, e, back.Query().Get("error_description"))
			}
			cb := ts.get(back.Path + "?" + back.RawQuery)
			wantStatus(t, cb, http.StatusSeeOther)
			form := ts.get(cb.Header.Get("Location"))
			if prob := form.text("[data-testid=form-problem]"); prob != "" {
				t.Fatalf("callback: %s", prob)
			}
			pend, _ := form.Doc.Find("input[name=pending]").Attr("value")
			if pend == "" {
				t.Fatalf("no token came back: %s", excerpt(form.Body))
			}
			f.Set("pending", pend)
			f.Set("client_secret", "")
			wantRedirect(t, ts.post(newPath, f), "/tokens")
			want := "Connected to " + ps.Name + " as " + v.Account + "."
			if flash := ts.get("/tokens").text("[data-testid=flash]"); flash != "Access token “"+name+"” saved. Tested (Test Connection): "+want {
				t.Fatalf("flash %q, want the test to say %q", flash, want)
			}
			id := tokenIDByName(t, ts, name)

			// The runtime API: the token and the values the row declares.
			a := apiGet(t, ts, key, name)
			if a.Status != http.StatusOK || a.Token["access_token"] == "" {
				t.Fatalf("runtime API %d %v", a.Status, a.Error)
			}
			first := a.Token["access_token"]
			wantValues := func(a apiAnswer) {
				t.Helper()
				for k, w := range v.Want {
					w = strings.ReplaceAll(w, "{base}", base)
					if got, _ := a.Token[k].(string); got != w {
						t.Errorf("runtime API %s = %q, want %q", k, got, w)
					}
				}
			}
			wantValues(a)
			if exp, _ := a.Token["expires_at"].(string); exp == "" {
				t.Errorf("runtime API hands out a token with no expiry")
			}

			// Renewal once the access token is due.
			tok, err := ts.store.TokenByID(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			// The refresh token's end, where the vendor or the row knows it,
			// feeds the expiry warnings.
			if stored, _ := ts.store.TokenValues(t.Context(), id); stored["refresh_token"] != "" && (ps.RefreshLifetime > 0 || v.RefreshTTL > 0) && tok.RefreshExpiresAt.IsZero() {
				t.Errorf("no end of the refresh token recorded (row %v, vendor %v)", ps.RefreshLifetime, v.RefreshTTL)
			}
			if want := ts.clock.Now().Add(v.RefreshEnds); v.RefreshEnds > 0 && !tok.RefreshExpiresAt.Equal(want.Truncate(time.Millisecond)) {
				t.Errorf("refresh token ends %v, want %v (the vendor's answer)", tok.RefreshExpiresAt, want)
			}
			ts.clock.Advance(tok.ExpiresAt.Sub(ts.clock.Now()) + time.Minute)
			a = apiGet(t, ts, key, name)
			if a.Status != http.StatusOK {
				t.Fatalf("runtime API after expiry %d %v", a.Status, a.Error)
			}
			values, _ := ts.store.TokenValues(t.Context(), id)
			switch {
			case ps.NoExpiry && values["refresh_token"] == "":
				if a.Token["access_token"] != first || emu.Refreshes() != 0 {
					t.Fatalf("a token that does not expire was replaced (%d refreshes)", emu.Refreshes())
				}
			default:
				if a.Token["access_token"] == first || emu.Refreshes() != 1 {
					t.Fatalf("not renewed by a refresh (%d refreshes)", emu.Refreshes())
				}
			}
			wantValues(a)
			if exp, _ := a.Token["expires_at"].(string); exp == "" || exp <= ts.clock.Now().UTC().Format(time.RFC3339) {
				t.Errorf("after renewal expires_at %q", exp)
			}
			// A second renewal: a rotating vendor's new refresh token was kept
			// (the spent one is refused).
			if refreshed := emu.Refreshes(); refreshed > 0 {
				tok, _ = ts.store.TokenByID(t.Context(), id)
				ts.clock.Advance(tok.ExpiresAt.Sub(ts.clock.Now()) + time.Minute)
				if a := apiGet(t, ts, key, name); a.Status != http.StatusOK || emu.Refreshes() != refreshed+1 {
					t.Fatalf("second renewal %d %v (%d refreshes)", a.Status, a.Error, emu.Refreshes())
				}
			}

			// Test Connection names the account with the renewed token.
			ts.signInAdmin()
			tokPath := "/tokens/" + itoa(id)
			f.Set("version", editVersion(t, ts.get(tokPath)))
			f.Set("action", "test_connection")
			f.Del("pending")
			if s, steps := resultOf(ts.post(tokPath, f), "test_connection"); s != want {
				t.Fatalf("Test Connection %q %v, want %q", s, steps, want)
			}

			// Renew now, before the access token expires: a vendor that
			// documents revoking the previous access token on refresh
			// (Airtable, Zendesk, GitLab) refuses it at once; the others
			// let it live out its lifetime.
			if emu.Refreshes() > 0 {
				before, _ := ts.store.TokenValues(t.Context(), id)
				wantRedirect(t, ts.post(tokPath+"/renew", nil), tokPath)
				after, _ := ts.store.TokenValues(t.Context(), id)
				if after["access_token"] == before["access_token"] {
					t.Fatal("Renew now kept the access token")
				}
				status := userinfoStatus(t, base, before["access_token"])
				switch wantOld := http.StatusOK; {
				case v.RefreshRevokesAccess && status != http.StatusUnauthorized:
					t.Errorf("%s still accepts the access token a refresh replaced (HTTP %d)", v.Name, status)
				case !v.RefreshRevokesAccess && status != wantOld:
					t.Errorf("%s refuses the previous access token before its expiry (HTTP %d)", v.Name, status)
				}
			}
		})
	}
}

// A callback parameter a row needs (QuickBooks' realmId) is only taken
// when it is an identifier: anyone can put one in a URL that comes back,
// and it ends up in a path of the company's API. Otherwise the form says
// what is missing, and no token is held.
func TestCatalogueCallbackValueMustBeAnIdentifier(t *testing.T) {
	route := &catalogueRoute{}
	ts := newTestServer(t, func(d *testSetup) { d.HTTPClient = &http.Client{Timeout: provider.DefaultTimeout, Transport: route} })
	ts.signInAdmin()
	v := *oauthtest.Vendors["oauth2-quickbooks"]
	v.Callback = map[string]string{"realmId": "../../../v3/admin"}
	opts := v.Options()
	opts.Clock = ts.clock.Now
	emu, base := oauthtest.Start(t, opts)
	emu.AddClient(oauthtest.Client{ID: oauthClientID, Secret: oauthSecret, AuthMethod: v.AuthMethod, RedirectURIs: []string{ts.srv.redirectURI()}})
	route.set(base, "")
	p, _ := registry.ByID("oauth2-quickbooks")
	f := rowForm(p, &v, "Books")
	ts.get("/tokens/new/oauth2-quickbooks")
	f.Set("action", "get_token")
	loc, _ := url.Parse(consentURL(t, ts.post("/tokens/new/oauth2-quickbooks", f)))
	loc.Scheme, loc.Host = "http", strings.TrimPrefix(base, "http://")
	back := browse(t, loc.String())
	cb := ts.get(back.Path + "?" + back.RawQuery)
	form := ts.get(cb.Header.Get("Location"))
	if prob := form.text("[data-testid=consent-outcome] strong"); !strings.HasPrefix(prob, "QuickBooks Online sent you back without realmId") {
		t.Fatalf("outcome %q", prob)
	}
	if strings.Contains(form.text("[data-testid=stored-access_token]"), "Obtained") {
		t.Fatal("a token was held without its realmId")
	}
}

// Slack without token rotation: its tokens never expire and come without
// a refresh token. The renewal asks auth.test whether the token still
// works and keeps it; once the app is uninstalled (Slack then answers
// HTTP 200 with "ok": false), the token needs a reconnect and the runtime
// API stops handing it out.
func TestCatalogueSlackWithoutRotation(t *testing.T) {
	route := &catalogueRoute{}
	ts := newTestServer(t, func(d *testSetup) { d.HTTPClient = &http.Client{Timeout: provider.DefaultTimeout, Transport: route} })
	ts.signInAdmin()
	key := createClient(t, ts, "/clients", "Slack bot")
	v := *oauthtest.Vendors["oauth2-slack"]
	v.NeverExpires, v.NoRefresh = true, true
	opts := v.Options()
	opts.Clock = ts.clock.Now
	emu, base := oauthtest.Start(t, opts)
	emu.AddClient(oauthtest.Client{ID: oauthClientID, Secret: oauthSecret, AuthMethod: v.AuthMethod, RedirectURIs: []string{ts.srv.redirectURI()}})
	route.set(base, "")
	p, _ := registry.ByID("oauth2-slack")
	f := rowForm(p, &v, "Workspace")
	ts.get("/tokens/new/oauth2-slack")
	_, _, back := consentVia(t, ts, "/tokens/new/oauth2-slack", f, base)
	pend, _ := back.Doc.Find("input[name=pending]").Attr("value")
	f.Set("pending", pend)
	f.Set("client_secret", "")
	wantRedirect(t, ts.post("/tokens/new/oauth2-slack", f), "/tokens")
	first := apiGet(t, ts, key, "Workspace")
	if first.Status != http.StatusOK || first.Token["team_id"] != "T9TK3CUKW" {
		t.Fatalf("runtime API %d %v", first.Status, first.Token)
	}
	ts.clock.Advance(13 * time.Hour)
	if a := apiGet(t, ts, key, "Workspace"); a.Status != http.StatusOK || a.Token["access_token"] != first.Token["access_token"] {
		t.Fatalf("after 13 hours %d %v", a.Status, a.Error)
	}
	emu.RevokeClient(oauthClientID)
	ts.clock.Advance(13 * time.Hour)
	a := apiGet(t, ts, key, "Workspace")
	if a.Status == http.StatusOK || !strings.Contains(a.Error.Message, "Reconnect") {
		t.Fatalf("after the app was uninstalled %d %+v", a.Status, a.Error)
	}
	ts.signInAdmin()
	tok, _ := ts.store.TokenByID(t.Context(), tokenIDByName(t, ts, "Workspace"))
	if !tok.MustReconnect(ts.clock.Now()) {
		t.Fatal("the token does not need a reconnect")
	}
}

// consentVia is consent for a row whose URLs are its vendor's: the
// browser's trip goes to the emulator at base, path and query kept.
func consentVia(t *testing.T, ts *testServer, path string, form url.Values, base string) (string, *url.URL, page) {
	t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("action", "get_token")
	loc, err := url.Parse(consentURL(t, ts.post(path, f)))
	if err != nil {
		t.Fatal(err)
	}
	start := loc.String()
	loc.Scheme, loc.Host = "http", strings.TrimPrefix(base, "http://")
	back := browse(t, loc.String())
	cb := ts.get(back.Path + "?" + back.RawQuery)
	wantStatus(t, cb, http.StatusSeeOther)
	return start, back, ts.get(cb.Header.Get("Location"))
}

// userinfoStatus is the emulator's answer to access at its /userinfo.
func userinfoStatus(t *testing.T, base, access string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
