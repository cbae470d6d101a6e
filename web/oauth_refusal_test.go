package web

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
)

// decide answers the emulator's consent page as a person would: it opens
// the page at location and presses Allow or Deny.
func decide(t *testing.T, emu *oauthtest.Server, location, decision string) *url.URL {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(location)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="request" value="([^"]+)"`).FindSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("consent page %d: %s", resp.StatusCode, body)
	}
	resp, err = c.PostForm(strings.TrimSuffix(emu.AuthURL(), "/authorize")+"/authorize/decision", url.Values{"request": {string(m[1])}, "decision": {decision}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, _ := url.Parse(resp.Header.Get("Location"))
	return back
}

// A refusal at the service comes back to the form in words, with the
// form as it was, and nothing is saved.
func TestOAuthRefusalsAreNamedOnTheForm(t *testing.T) {
	cases := []struct {
		name string
		// run takes the Location of Get OAuth 2.0 Access Token and
		// returns where the browser comes back to.
		run  func(t *testing.T, emu *oauthtest.Server, loc string) *url.URL
		form func(url.Values)
		want string
	}{
		{
			name: "consent denied",
			run:  func(t *testing.T, emu *oauthtest.Server, loc string) *url.URL { return decide(t, emu, loc, "deny") },
			want: "access was denied (access_denied)",
		},
		{
			name: "code refused at exchange",
			run: func(t *testing.T, emu *oauthtest.Server, loc string) *url.URL {
				back := decide(t, emu, loc, "allow")
				q := back.Query()
				q.Set("code", "code.not-issued")
				back.RawQuery = q.Encode()
				return back
			},
			want: "refused the authorization code (invalid_grant",
		},
		{
			name: "wrong client secret",
			run:  func(t *testing.T, emu *oauthtest.Server, loc string) *url.URL { return decide(t, emu, loc, "allow") },
			form: func(f url.Values) { f.Set("client_secret", "not-the-secret") },
			want: "did not accept the client (invalid_client",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t)
			emu := startOAuth(t, ts, oauthtest.Options{}, oauthtest.ClientSecretBasic)
			ts.signInAdmin()
			f := oauthForm("Box Files", emu, "authorization_code", "client_secret_basic")
			if tc.form != nil {
				tc.form(f)
			}
			f.Set("action", "get_token")
			ts.get("/tokens/new/oauth2")
			back := tc.run(t, emu, consentURL(t, ts.post("/tokens/new/oauth2", f)))
			cb := ts.get(back.Path + "?" + back.RawQuery)
			wantStatus(t, cb, http.StatusSeeOther)
			form := ts.get(cb.Header.Get("Location"))
			wantStatus(t, form, http.StatusOK)
			if s, _ := resultOf(form, "get_token"); !strings.Contains(s, tc.want) || !strings.Contains(s, "Press Get OAuth 2.0 Access Token") && tc.name != "wrong client secret" {
				t.Fatalf("result %q, want %q", s, tc.want)
			}
			if v, _ := form.Doc.Find("#f-name").Attr("value"); v != "Box Files" {
				t.Fatal("the form was not kept")
			}
			if form.Doc.Find("[data-testid=stored-access_token]").Length() != 0 {
				t.Fatal("a refusal left a token in the form")
			}
			noSecrets(t, "the form", form.Body, oauthSecret, "not-the-secret")
			if n := len(ts.get("/tokens").Doc.Find("[data-testid=token-row]").Nodes); n != 0 {
				t.Fatalf("%d tokens saved", n)
			}
		})
	}
}

// A callback whose state is unknown, forged, another person's, used or
// expired is a clear 400 page and changes nothing.
func TestOAuthCallbackRefusesABadState(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	// A saved token, so that "changes nothing" can be seen on it too.
	save := oauthForm("Sales Org", emu, "authorization_code", "client_secret_basic")
	ts.get("/tokens/new/oauth2")
	wantRedirect(t, ts.post("/tokens/new/oauth2", save), "/tokens")
	id := tokenIDByName(t, ts, "Sales Org")
	before, _ := ts.store.TokenByID(t.Context(), id)

	leave := func() *url.URL {
		f := oauthForm("Sales Org", emu, "authorization_code", "client_secret_basic")
		f.Set("version", itoa(before.Version))
		f.Set("action", "get_token")
		return browse(t, consentURL(t, ts.post("/tokens/"+itoa(id), f)))
	}
	check := func(name string, p page, want string) {
		t.Helper()
		wantStatus(t, p, http.StatusBadRequest)
		if !strings.Contains(p.Body, want) || !strings.Contains(p.Body, "Nothing was changed") {
			t.Fatalf("%s: %s", name, excerpt(p.Body))
		}
	}

	back := leave()
	q := back.Query()
	check("no state", ts.get("/oauth/callback?code="+url.QueryEscape(q.Get("code"))), "not one tokendesk sent")
	check("forged state", ts.get("/oauth/callback?state=forged&code="+url.QueryEscape(q.Get("code"))), "not one tokendesk sent")

	// Another person signed in elsewhere cannot complete this trip.
	bob := newTestServerClient(ts)
	ts.addUser("bob@example.com", "bob's long password", "admin")
	bob.signIn("bob@example.com", "bob's long password")
	check("another person's state", bob.get(back.Path+"?"+back.RawQuery), "not one tokendesk sent")

	expired := leave()
	ts.clock.Advance(10*time.Minute + time.Second)
	check("expired state", ts.get(expired.Path+"?"+expired.RawQuery), "longer than 10 minutes")

	after, _ := ts.store.TokenByID(t.Context(), id)
	if after.Version != before.Version || !after.LastRenewedAt.Equal(before.LastRenewedAt) {
		t.Fatalf("the token changed: version %d → %d", before.Version, after.Version)
	}
	if v, _ := ts.store.TokenValues(t.Context(), id); v["access_token"] != "" {
		t.Fatal("an access token was stored")
	}
}
