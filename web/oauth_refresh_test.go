package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/renewal"
	"github.com/tokendesk/tokendesk/internal/store"
)

// connect saves an authorization-code token named name through the whole
// flow and returns its id.
func connect(t *testing.T, ts *testServer, emu *oauthtest.Server, name, rate string) int64 {
	t.Helper()
	ts.get("/tokens/new/oauth2")
	f := oauthForm(name, emu, "authorization_code", oauthtest.ClientSecretBasic)
	f.Set("renewal_rate", rate)
	_, _, p := consent(t, ts, "/tokens/new/oauth2", f)
	pend, _ := p.Doc.Find("input[name=pending]").Attr("value")
	f.Set("client_secret", "")
	f.Set("pending", pend)
	wantRedirect(t, ts.post("/tokens/new/oauth2", f), "/tokens")
	return tokenIDByName(t, ts, name)
}

// secondProcess is another tokendesk process's worker on the same database.
func secondProcess(ts *testServer) *renewal.Worker {
	env := provider.Env{HTTP: ts.srv.HTTPClient, Now: ts.clock.Now}
	w := renewal.New(ts.store, registry.ByID, env, slog.New(slog.NewTextHandler(io.Discard, nil)), renewal.NewMetrics(prometheus.NewRegistry(), ts.store, ts.clock.Now, registry.Retired()))
	w.Clock, w.Jitter, w.Spread = renewal.TimeFrom(ts.clock.Now), func() float64 { return 0.5 }, 0
	return w
}

// Refresh tokens that are single use (each refresh returns a new one and
// the spent one is refused) are never lost to a race: Renew now, this
// process's worker and another process's worker renew the same due token
// at once, again and again, and afterwards the chain still refreshes.
func TestOAuthRotatingRefreshTokensSurviveRacingRenewals(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true, RefreshSingleUse: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	id := connect(t, ts, emu, "Zoom Meetings", "1h")
	worker := ts.srv.Renewer.(*renewal.Worker)
	other := secondProcess(ts)
	ctx := context.Background()

	first, _ := ts.store.TokenValues(ctx, id)
	before := emu.Refreshes()
	for i := range 25 {
		ts.clock.Advance(time.Hour + time.Minute)
		var wg sync.WaitGroup
		errs := make([]error, 3)
		wg.Add(3)
		go func() { defer wg.Done(); errs[0] = worker.RenewNow(ctx, id) }()
		go func() { defer wg.Done(); _, errs[1] = worker.RunOnce(ctx) }()
		go func() { defer wg.Done(); _, errs[2] = other.RunOnce(ctx) }()
		wg.Wait()
		for _, err := range errs {
			if err != nil && !errors.Is(err, store.ErrLeased) {
				t.Fatalf("round %d: %v", i, err)
			}
		}
		tok, _ := ts.store.TokenByID(ctx, id)
		if tok.Failures != 0 || tok.NeedsReconnect {
			t.Fatalf("round %d: the chain broke: %s", i, tok.LastError)
		}
	}
	if emu.Refreshes()-before < 25 {
		t.Fatalf("only %d refreshes in 25 rounds", emu.Refreshes()-before)
	}
	// The stored refresh token is the newest: one more refresh works.
	if err := worker.RenewNow(ctx, id); err != nil {
		t.Fatalf("refresh after the races: %v", err)
	}
	last, _ := ts.store.TokenValues(ctx, id)
	if last["refresh_token"] == first["refresh_token"] || last["access_token"] == first["access_token"] {
		t.Fatal("the refresh token did not rotate")
	}
}

// invalid_grant on refresh: the token says "Needs reconnect", nothing
// calls the service for it any more (worker, Renew now, the runtime API,
// which answers 409 needs_reconnect), and Reconnect, one trip through
// consent, restores it with its stored settings and secrets.
func TestOAuthNeedsReconnectThenReconnect(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	id := connect(t, ts, emu, "Team Drive", "1h")
	key := createClient(t, ts, "/clients", "Backup job")
	values, _ := ts.store.TokenValues(t.Context(), id)
	emu.RevokeGrant(values["refresh_token"])

	worker := ts.srv.Renewer.(*renewal.Worker)
	ts.clock.Advance(2 * time.Hour) // due, and the access token expired
	if _, err := worker.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	tok, _ := ts.store.TokenByID(t.Context(), id)
	if !tok.NeedsReconnect || !tok.NextRenewalAt.IsZero() {
		t.Fatalf("after invalid_grant: needs reconnect %v, next renewal %v", tok.NeedsReconnect, tok.NextRenewalAt)
	}
	list := ts.get("/tokens")
	if s := strings.TrimSpace(list.Doc.Find("[data-testid=token-row] [data-testid=token-status]").First().Text()); s != "Needs reconnect" {
		t.Fatalf("list status %q", s)
	}
	page := ts.get("/tokens/" + itoa(id))
	if page.text("[data-testid=renewal-status]") != "Needs reconnect" || page.Doc.Find("[data-testid=reconnect]").Length() != 1 {
		t.Fatalf("token page: %q, reconnect buttons %d", page.text("[data-testid=renewal-status]"), page.Doc.Find("[data-testid=reconnect]").Length())
	}
	if !strings.Contains(page.text("[data-testid=last-error]"), "invalid_grant") {
		t.Fatalf("last error %q", page.text("[data-testid=last-error]"))
	}

	// Nothing asks the service again: not the worker, not Renew now, not
	// a consumer.
	calls := emu.Refreshes()
	for range 5 {
		ts.clock.Advance(time.Hour)
		worker.RunOnce(t.Context())
	}
	ts.signInAdmin() // hours went by: the session timed out
	ts.get("/tokens/" + itoa(id))
	renew := ts.post("/tokens/"+itoa(id)+"/renew", nil)
	wantRedirect(t, renew, "/tokens/"+itoa(id))
	if f := ts.get("/tokens/" + itoa(id)).text("[data-testid=flash]"); !strings.Contains(f, "needs reconnecting") {
		t.Fatalf("Renew now flash %q", f)
	}
	a := apiGet(t, ts, key, "Team Drive")
	if a.Status != http.StatusConflict || a.Error.Code != "needs_reconnect" || !strings.Contains(a.Error.Message, "Reconnect") {
		t.Fatalf("runtime API %d %+v", a.Status, a.Error)
	}
	if emu.Refreshes() != calls {
		t.Fatalf("the service was called %d more times for a token that needs reconnecting", emu.Refreshes()-calls)
	}

	// Reconnect: one trip through consent; the stored settings stay.
	page = ts.get("/tokens/" + itoa(id))
	to := consentURL(t, ts.post("/tokens/"+itoa(id)+"/reconnect", nil))
	noSecrets(t, "the authorization URL", to, oauthSecret)
	back := browse(t, to)
	cb := ts.get(back.Path + "?" + back.RawQuery)
	wantRedirect(t, cb, "/tokens/"+itoa(id))
	page = ts.get("/tokens/" + itoa(id))
	if f := page.text("[data-testid=flash]"); !strings.Contains(f, "Reconnected") {
		t.Fatalf("flash %q", f)
	}
	tok, _ = ts.store.TokenByID(t.Context(), id)
	after, _ := ts.store.TokenValues(t.Context(), id)
	if tok.NeedsReconnect || tok.NextRenewalAt.IsZero() || after["client_secret"] != oauthSecret || after["refresh_token"] == values["refresh_token"] {
		t.Fatalf("after Reconnect: needs %v, next %v", tok.NeedsReconnect, tok.NextRenewalAt)
	}
	if page.Doc.Find("[data-testid=reconnect]").Length() != 0 || page.text("[data-testid=renewal-status]") != "Healthy" {
		t.Fatalf("status after Reconnect %q", page.text("[data-testid=renewal-status]"))
	}
	if a := apiGet(t, ts, key, "Team Drive"); a.Status != 200 || a.Token["access_token"] != after["access_token"] {
		t.Fatalf("runtime API after Reconnect %d %v", a.Status, a.Token)
	}
	// And renewals resume.
	ts.clock.Advance(2 * time.Hour)
	if _, err := worker.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if emu.Refreshes() != calls+1 {
		t.Fatalf("refreshes after Reconnect: %d", emu.Refreshes()-calls)
	}
}

// Where the service says how long the refresh token lives, the token's
// page shows when it runs out and, from 14 days before, the list says
// "Reconnect within N days".
func TestOAuthRefreshExpiryWarning(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true, AccessTTL: 365 * 24 * time.Hour, RefreshTTL: 30 * 24 * time.Hour}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	id := connect(t, ts, emu, "Box Archive", "disabled")
	ends := ts.clock.Now().Add(30 * 24 * time.Hour)
	page := ts.get("/tokens/" + itoa(id))
	if got := page.text("[data-testid=refresh-expires]"); !strings.Contains(got, ends.Format("2006-01-02")) {
		t.Fatalf("refresh token runs out %q, want %s", got, ends.Format("2006-01-02"))
	}
	status := func() string {
		ts.signInAdmin() // days go by: sessions time out
		return strings.TrimSpace(ts.get("/tokens").Doc.Find("[data-testid=token-row] [data-testid=token-status]").First().Text())
	}
	if s := status(); s != "Not renewed" {
		t.Fatalf("status at 30 days %q", s)
	}
	ts.clock.Advance(15*24*time.Hour + time.Hour) // 14 days 23 hours left
	if s := status(); s != "Not renewed" {
		t.Fatalf("status at 15 days %q", s)
	}
	ts.clock.Advance(24 * time.Hour) // 13 days 23 hours left
	if s := status(); s != "Reconnect within 14 days" {
		t.Fatalf("status at 14 days %q", s)
	}
	ts.clock.Advance(13 * 24 * time.Hour)
	if s := status(); s != "Reconnect within 1 day" {
		t.Fatalf("status on the last day %q", s)
	}
	if ts.get("/tokens/"+itoa(id)).Doc.Find("[data-testid=reconnect]").Length() != 1 {
		t.Fatal("no Reconnect button while the refresh token runs out")
	}
	ts.clock.Advance(24 * time.Hour)
	if s := status(); s != "Needs reconnect" {
		t.Fatalf("status after it ran out %q", s)
	}
}

// The callback ends a trip an administrator started minutes before; if
// they are no longer allowed the token's list by then (demoted to
// designer), it must not save a grant into that token.
func TestOAuthReconnectCallbackChecksTheUserMayStillUseTheScope(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	id := connect(t, ts, emu, "Team Drive", "1h")
	before, _ := ts.store.TokenValues(t.Context(), id)
	other := ts.addUser("second.admin@example.com", "second admin password", store.RoleAdmin)
	ts.post("/logout", nil)
	ts.signIn("second.admin@example.com", "second admin password")
	ts.get("/tokens/" + itoa(id))
	to := consentURL(t, ts.post("/tokens/"+itoa(id)+"/reconnect", nil))
	if err := ts.store.UpdateUser(t.Context(), other.ID, store.RoleDesigner, true, adminEmail); err != nil {
		t.Fatal(err)
	}
	back := browse(t, to)
	cb := ts.get(back.Path + "?" + back.RawQuery)
	if cb.StatusCode < 400 || cb.StatusCode >= 500 {
		t.Fatalf("callback for a scope the user lost: %d", cb.StatusCode)
	}
	after, _ := ts.store.TokenValues(t.Context(), id)
	if after["access_token"] != before["access_token"] || after["refresh_token"] != before["refresh_token"] {
		t.Fatal("a user demoted meanwhile replaced a global token's grant")
	}
}

// The list's Status filter agrees with the status each row shows: a token
// that says "Needs reconnect" is found under that choice, and under no
// other (the filter did not know the status: such a token was listed
// under Expired, or Healthy).
func TestOAuthStatusFilterFindsNeedsReconnect(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	id := connect(t, ts, emu, "Team Drive", "1h")
	values, _ := ts.store.TokenValues(t.Context(), id)
	emu.RevokeGrant(values["refresh_token"])
	ts.clock.Advance(2 * time.Hour)
	if _, err := ts.srv.Renewer.(*renewal.Worker).RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	names := func(status string) []string {
		var out []string
		ts.get("/tokens?status=" + url.QueryEscape(status)).Doc.Find("[data-testid=token-row]").Each(func(_ int, r *goquery.Selection) {
			out = append(out, strings.TrimSpace(r.Find("[data-testid=token-status]").Text()))
		})
		return out
	}
	if got := names("Needs reconnect"); len(got) != 1 || got[0] != "Needs reconnect" {
		t.Fatalf("Status filter Needs reconnect lists %v", got)
	}
	for _, st := range []string{"Needs attention", "Renewal failing", "Expired", "Expires soon", "Not renewed", "Healthy"} {
		if got := names(st); len(got) != 0 {
			t.Fatalf("Status filter %s lists %v", st, got)
		}
	}
}

// The list's alert leads to the tokens it counts: one that needs
// reconnecting (whose renewals had failed before) is not counted as
// "renewal is failing" behind a link that does not list it; it has its
// own alert and link.
func TestTokenListAlertsLeadToWhatTheyCount(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	id := connect(t, ts, emu, "Team Drive", "1h")
	worker := ts.srv.Renewer.(*renewal.Worker)
	emu.SetFault(oauthtest.Fail500)
	if err := worker.RenewNow(t.Context(), id); err == nil {
		t.Fatal("setup: the renewal did not fail")
	}
	emu.SetFault(oauthtest.NoFault)
	values, _ := ts.store.TokenValues(t.Context(), id)
	emu.RevokeGrant(values["refresh_token"])
	ts.clock.Advance(2 * time.Hour)
	if _, err := worker.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if tok, _ := ts.store.TokenByID(t.Context(), id); !tok.NeedsReconnect || tok.Failures == 0 {
		t.Fatalf("setup: needs reconnect %v, failures %d", tok.NeedsReconnect, tok.Failures)
	}
	list := ts.get("/tokens")
	for _, sel := range []string{"[data-testid=failing-count]", "[data-testid=reconnect-count]"} {
		a := list.Doc.Find(sel + " a")
		if a.Length() == 0 {
			continue
		}
		href, _ := a.Attr("href")
		rows := ts.get(href).Doc.Find("[data-testid=token-row]").Length()
		if !strings.HasPrefix(strings.TrimSpace(a.Text()), fmt.Sprint(rows)+" ") {
			t.Errorf("%s says %q; its link lists %d tokens", sel, strings.TrimSpace(a.Text()), rows)
		}
	}
	if got := strings.TrimSpace(list.Doc.Find("[data-testid=reconnect-count] a").Text()); !strings.HasPrefix(got, "1 token needs reconnecting") {
		t.Errorf("reconnect alert %q", got)
	}
}

// Someone allowed to edit a token but never to read its secrets cannot
// have them sent to a server of their own by changing the Token URL: the
// button and Save ask for the Client Secret again, and a Save with a new
// secret drops the stored refresh token rather than renew with it there.
func TestChangedTokenURLNeverReceivesStoredSecrets(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretPost)
	ts.signInAdmin()
	id := connect(t, ts, emu, "Team Drive", "1h")
	before, _ := ts.store.TokenValues(t.Context(), id)
	var got []string
	var mu sync.Mutex
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		got = append(got, r.Form.Encode()+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"x","token_type":"Bearer","expires_in":3600,"refresh_token":"y"}`))
	}))
	defer evil.Close()

	page := ts.get("/tokens/" + itoa(id))
	version, _ := page.Doc.Find("input[name=version]").Attr("value")
	f := oauthForm("Team Drive", emu, "client_credentials", oauthtest.ClientSecretPost)
	f.Set("client_secret", "")
	f.Set("token_url", evil.URL+"/token")
	f.Set("version", version)
	f.Set("action", "get_token")
	if p := ts.post("/tokens/"+itoa(id), f); p.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Enter the Client Secret again") {
		t.Errorf("button with a changed Token URL: %d", p.StatusCode)
	}
	f.Del("action")
	if p := ts.post("/tokens/"+itoa(id), f); p.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Enter the Client Secret again") {
		t.Errorf("Save with a changed Token URL: %d", p.StatusCode)
	}
	worker := ts.srv.Renewer.(*renewal.Worker)
	// Saved with a secret typed again: the old refresh token is not kept.
	f.Set("client_secret", "a-secret-of-the-new-service")
	f.Set("grant_type", "authorization_code")
	saved := ts.post("/tokens/"+itoa(id), f)
	wantRedirect(t, saved, "/tokens")
	worker.RenewNow(t.Context(), id)
	mu.Lock()
	defer mu.Unlock()
	for _, req := range got {
		if strings.Contains(req, oauthSecret) || strings.Contains(req, before["refresh_token"]) {
			t.Fatalf("the new Token URL received a stored secret: %s", req)
		}
	}
}
