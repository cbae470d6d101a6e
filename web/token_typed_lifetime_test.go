package web

import (
	"net/url"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider/oauth"
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/token"
)

// An access token typed by hand lives as long as the provider declares
// for the token (the generic form's "Access token lifetime (when the
// service does not say)", a preset's known lifetime), as an obtained one
// whose answer said nothing does: never handed out after that.
func TestTypedAccessTokenLivesTheDeclaredLifetime(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	ts.get("/tokens/new/oauth2")
	f := oauthForm("Typed", emu, "client_credentials", oauthtest.ClientSecretBasic)
	f.Set("renewal_rate", token.Disabled)
	f.Set("access_lifetime", "15m")
	f.Set("access_token", "typed-by-hand")
	if p := ts.post("/tokens/new/oauth2", f); p.StatusCode >= 400 {
		t.Fatalf("save: %d %s", p.StatusCode, p.text("[data-testid=field-error]"))
	}
	tok, _ := ts.store.TokenByID(t.Context(), tokenIDByName(t, ts, "Typed"))
	if want := ts.clock.Now().Add(15 * time.Minute); !tok.ExpiresAt.Equal(want) {
		t.Fatalf("typed token expires %v, want %v (the form's 15 minutes)", tok.ExpiresAt, want)
	}
	key := createClient(t, ts, "/clients", "Job")
	ts.clock.Advance(10 * time.Minute)
	if a := apiGet(t, ts, key, "Typed"); a.Status != 200 || a.Token["access_token"] != "typed-by-hand" {
		t.Fatalf("10 minutes later: %d %v", a.Status, a.Token)
	}
	ts.clock.Advance(10 * time.Minute)
	if a := apiGet(t, ts, key, "Typed"); a.Status == 200 {
		t.Fatalf("a token whose chosen lifetime is 15 minutes is handed out after 20: %v", a.Token)
	}

	// Dropbox's access tokens live 4 hours (presets.go): one pasted by hand
	// is not taken to die after token.AssumedLifetime.
	ts.get("/tokens/new/oauth2-dropbox")
	d := url.Values{"name": {"Pasted Dropbox"}, "grant_type": {"authorization_code"}, "client_id": {oauthClientID}, "client_secret": {oauthSecret},
		"client_auth": {oauth.AuthPost}, "auth_url": {emu.AuthURL()}, "token_url": {emu.TokenURL()}, "pkce": {"on"},
		"renewal_rate": {token.Disabled}, "access_token": {"pasted-dropbox"}}
	if p := ts.post("/tokens/new/oauth2-dropbox", d); p.StatusCode >= 400 {
		t.Fatalf("save Dropbox: %d %s", p.StatusCode, p.text("[data-testid=field-error]"))
	}
	tok, _ = ts.store.TokenByID(t.Context(), tokenIDByName(t, ts, "Pasted Dropbox"))
	if want := ts.clock.Now().Add(4 * time.Hour); !tok.ExpiresAt.Equal(want) {
		t.Fatalf("pasted Dropbox token expires %v, want %v (the preset's 4 hours)", tok.ExpiresAt, want)
	}
	ts.clock.Advance(2 * time.Hour)
	if a := apiGet(t, ts, key, "Pasted Dropbox"); a.Status != 200 || a.Token["access_token"] != "pasted-dropbox" {
		t.Fatalf("2 hours later: %d %v", a.Status, a.Token)
	}
}
