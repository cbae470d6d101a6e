package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
)

// Issue 19 item 1: once the service refuses the refresh token
// (invalid_grant), the access token it issued with that grant is revoked
// too (RFC 7009 §2.1). The runtime API refuses it at once with 409
// needs_reconnect, although the stored token has most of an hour left.
func TestAPIRefusesATokenThatNeedsReconnectAtOnce(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	id := connect(t, ts, emu, "Team Drive", "1h")
	key := createClient(t, ts, "/clients", "Backup job")
	if a := apiGet(t, ts, key, "Team Drive"); a.Status != http.StatusOK {
		t.Fatalf("before: %d %s", a.Status, a.Error.Message)
	}
	values, _ := ts.store.TokenValues(t.Context(), id)
	emu.RevokeGrant(values["refresh_token"])
	ts.clock.Advance(time.Minute)
	ts.get("/tokens/" + itoa(id))
	wantRedirect(t, ts.post("/tokens/"+itoa(id)+"/renew", nil), "/tokens/"+itoa(id))
	if tok, _ := ts.store.TokenByID(t.Context(), id); !tok.NeedsReconnect || !ts.clock.Now().Before(tok.ExpiresAt.Add(-50*time.Minute)) {
		t.Fatalf("setup: needs reconnect %v, expires %v", tok.NeedsReconnect, tok.ExpiresAt)
	}
	refreshes := emu.Refreshes()
	a := apiGet(t, ts, key, "Team Drive")
	if a.Status != http.StatusConflict || a.Error.Code != "needs_reconnect" || a.Token["access_token"] != nil ||
		!strings.Contains(a.Error.Message, "Reconnect on its page in tokendesk (/tokens/"+itoa(id)+")") {
		t.Fatalf("a token whose grant was refused: %d %s %q", a.Status, a.Error.Code, a.Error.Message)
	}
	if emu.Refreshes() != refreshes {
		t.Fatal("the service was asked again")
	}
	if got := tokenRowStatus(t, ts, "Team Drive"); got != token.StatusNeedsReconnect {
		t.Fatalf("listed as %q", got)
	}
}

// Issue 19 items 1 and 3: a token whose service did not say when it
// expires (here: pasted by hand) is taken to live token.AssumedLifetime.
// Past that, a renewed token is renewed on demand (once) and served; a
// Disabled one is refused with a 409 that names the Renewal Rate and the
// token's page, and the list counts it among the tokens apps cannot use.
func TestAnUnknownExpiryIsNeverForEver(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	key := createClient(t, ts, "/clients", "Job")
	paste := func(name, rate string) int64 {
		t.Helper()
		id := saveRedox(t, ts, "/tokens", name)
		ts.get("/tokens/" + itoa(id))
		form := redoxForm(name)
		form.Set("secret", "")
		form.Set("renewal_rate", rate)
		form.Set("access_token", "pasted-"+rate)
		form.Set("version", "1")
		wantRedirect(t, ts.post("/tokens/"+itoa(id), form), "/tokens")
		return id
	}
	off := paste("Pasted Off", token.Disabled)
	paste("Pasted On", "1h")
	for _, name := range []string{"Pasted Off", "Pasted On"} {
		if a := apiGet(t, ts, key, name); a.Status != http.StatusOK || !strings.HasPrefix(a.Token["access_token"].(string), "pasted-") {
			t.Fatalf("%s at first: %d %v", name, a.Status, a.Token)
		}
	}

	ts.clock.Advance(token.AssumedLifetime + time.Minute) // no worker ran
	before := redoxTokenCalls(ts)
	on := apiGet(t, ts, key, "Pasted On")
	if on.Status != http.StatusOK || strings.HasPrefix(on.Token["access_token"].(string), "pasted-") || !ts.clock.Now().Before(expiresAt(t, on)) {
		t.Fatalf("a renewed token past its assumed lifetime: %d %v %s", on.Status, on.Token, on.Error.Message)
	}
	a := apiGet(t, ts, key, "Pasted Off")
	if a.Status != http.StatusConflict || a.Error.Code != "renewals_disabled" || !strings.Contains(a.Error.Message, "Renewal Rate is Disabled") ||
		!strings.Contains(a.Error.Message, "/tokens/"+itoa(off)) {
		t.Fatalf("a Disabled token past its assumed lifetime: %d %s %q", a.Status, a.Error.Code, a.Error.Message)
	}
	if n := redoxTokenCalls(ts) - before; n != 1 {
		t.Fatalf("%d calls to Redox, want 1 (the renewed token only)", n)
	}

	if got := tokenRowStatus(t, ts, "Pasted Off"); got != token.StatusExpiredDisabled {
		t.Fatalf("listed as %q", got)
	}
	list := ts.get("/tokens")
	banner := list.text("[data-testid=unusable-count]")
	if !strings.Contains(banner, "Apps cannot use 1 token") || !strings.Contains(banner, "1 "+token.StatusExpiredDisabled) {
		t.Fatalf("banner %q", banner)
	}
	href, _ := list.Doc.Find("[data-testid=unusable-status]").Attr("href")
	filtered := ts.get(href)
	if n := filtered.Doc.Find("[data-testid=token-row]").Length(); n != 1 || !strings.Contains(filtered.text("[data-testid=token-row]"), "Pasted Off") {
		t.Fatalf("the banner's link lists %d tokens", n)
	}
}

// The store keeps "a stored access token has an expiry" by the field name
// every provider keeps its access token under.
func TestEveryProviderKeepsItsAccessTokenWhereTheStoreLooks(t *testing.T) {
	for _, p := range registry.All() {
		if p.Tokens.Access != "" && p.Tokens.Access != store.AccessField {
			t.Errorf("%s keeps its access token as %q, not %q", p.ID, p.Tokens.Access, store.AccessField)
		}
	}
}
