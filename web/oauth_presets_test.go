package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/provider/oauth"
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
)

// Every preset of the table: in the picker under its own name, a form
// filled in with the vendor's URLs, scopes and parameters, the extra
// parameters on the authorization URL, and (through the emulator standing
// in for the vendor) the values the preset keeps in the runtime API's
// answer and the refresh-token lifetime it knows. A new preset is a new
// entry in oauth.Presets; this test covers it without a change.
func TestOAuthPresets(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	pick := ts.get("/tokens/new")
	links := map[string]string{}
	pick.Doc.Find("[data-testid=provider-choices] a").Each(func(_ int, s *goquery.Selection) {
		href, _ := s.Attr("href")
		links[strings.TrimSpace(s.Find("strong").Text())] = href
	})
	if links["OAuth 2.0"] != "/tokens/new/oauth2" {
		t.Fatalf("picker %v", links)
	}
	key := createClient(t, ts, "/clients", "Preset consumer")
	// Every row is a card opening its form filled in; the six presets that
	// came first also run against the generic emulator here (every row
	// runs against its vendor in TestCatalogueEveryServiceEndToEnd).
	for i, ps := range oauth.Presets {
		t.Run(ps.Name, func(t *testing.T) {
			if links[ps.Name] != "/tokens/new/"+ps.ID {
				t.Fatalf("picker link %q", links[ps.Name])
			}
			form := ts.get(links[ps.Name])
			wantStatus(t, form, http.StatusOK)
			val := func(id string) string { v, _ := form.Doc.Find("#f-" + id).Attr("value"); return v }
			auth, _ := form.Doc.Find("#f-client_auth option[selected]").Attr("value")
			if form.text("h1") != ps.Name+" Access Token" || val("auth_url") != ps.AuthURL || val("token_url") != ps.TokenURL ||
				val("scope") != ps.Scope || form.text("#f-params") != ps.Params || auth != ps.Auth {
				t.Fatalf("form %q: %q %q %q %q %q", form.text("h1"), val("auth_url"), val("token_url"), val("scope"), form.text("#f-params"), auth)
			}
			if form.Doc.Find("#f-pkce[checked]").Length() != 1 && !ps.NoPKCE {
				t.Fatal("PKCE is not on by default")
			}
			if i >= 6 {
				return
			}

			// The form as it comes, with the client's own credentials: the
			// browser is sent to the vendor with the preset's parameters.
			f := url.Values{"name": {"Preset " + strings.ReplaceAll(ps.ID[len("oauth2-"):], "-", " ")}, "grant_type": {"authorization_code"}, "client_id": {oauthClientID},
				"client_secret": {oauthSecret}, "client_auth": {ps.Auth}, "auth_url": {ps.AuthURL}, "token_url": {ps.TokenURL},
				"scope": {ps.Scope}, "params": {ps.Params}, "pkce": {"on"}, "renewal_rate": {"1h"}, "action": {"get_token"}}
			for _, fd := range ps.Fields {
				f.Set(fd.Key, fd.Default)
			}
			// Where the preset sends the browser: its vendor's URL, with the
			// tenant filled in, or the Zoom the process is pointed at.
			wantAuth := strings.ReplaceAll(ps.AuthURL, "{tenant}", "organizations")
			if ps.ID == "oauth2-zoom-user" {
				wantAuth = ts.zoomURL + "/oauth/authorize"
			}
			to, _ := url.Parse(consentURL(t, ts.post(links[ps.Name], f)))
			if !strings.HasPrefix(to.String(), wantAuth+"?") || to.Query().Get("scope") != ps.Scope || to.Query().Get("code_challenge_method") != "S256" {
				t.Fatalf("authorization URL %s", to)
			}
			for _, line := range strings.Split(ps.Params, "\n") {
				if k, v, ok := strings.Cut(line, "="); ok && to.Query().Get(k) != v {
					t.Fatalf("%s missing from %s", line, to)
				}
			}

			// Against the emulator standing in for the vendor.
			emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true, Extra: map[string]any{
				"instance_url": "https://na1.example.my.salesforce.com", "api_url": "https://api.zoom.example",
				"id": "https://login.salesforce.com/id/00Dx0000000BV7z/005x00000012Q9P", "account_id": "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"}}, ps.Auth)
			f.Set("auth_url", emu.AuthURL())
			f.Set("token_url", emu.TokenURL())
			_, _, back := consent(t, ts, links[ps.Name], f)
			pend, _ := back.Doc.Find("input[name=pending]").Attr("value")
			f.Del("action")
			f.Set("client_secret", "")
			f.Set("pending", pend)
			wantRedirect(t, ts.post(links[ps.Name], f), "/tokens")
			a := apiGet(t, ts, key, f.Get("name"))
			if a.Status != 200 || a.Token["provider"] != ps.ID {
				t.Fatalf("runtime API %d %v", a.Status, a.Token)
			}
			// Salesforce keeps its identity URL (id), Dropbox its account_id.
			for _, k := range []string{"instance_url", "api_url", "id", "account_id"} {
				kept := false
				for _, want := range ps.Keep {
					kept = kept || want == k
				}
				if _, has := a.Token[k]; has != kept {
					t.Fatalf("%s in the answer: %v, want %v", k, has, kept)
				}
			}
			id := tokenIDByName(t, ts, f.Get("name"))
			tok, _ := ts.store.TokenByID(t.Context(), id)
			if ps.RefreshLifetime > 0 && !tok.RefreshExpiresAt.Equal(ts.clock.Now().Add(ps.RefreshLifetime).Truncate(time.Millisecond)) ||
				ps.RefreshLifetime == 0 && !tok.RefreshExpiresAt.IsZero() {
				t.Fatalf("refresh token runs out %v (lifetime %v)", tok.RefreshExpiresAt, ps.RefreshLifetime)
			}
		})
	}
}
