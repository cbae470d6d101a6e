package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/renewal"
	"github.com/tokendesk/tokendesk/internal/token"
)

// apiRefresh reports, as an app would, that the service refused a token:
// POST /api/v1/tokens/{name}/refresh with body (JSON, as given).
func apiRefresh(t *testing.T, ts *testServer, key, name, body string) apiAnswer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.http.URL+"/api/v1/tokens/"+url.PathEscape(name)+"/refresh", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := apiAnswer{Status: resp.StatusCode, Header: resp.Header}
	if resp.StatusCode == http.StatusOK {
		json.Unmarshal(raw, &a.Token)
		return a
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(raw, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("%d: error answer is not JSON: %s", resp.StatusCode, raw)
	}
	a.Error = e.Error
	return a
}

func rejected(access any) string {
	b, _ := json.Marshal(map[string]any{"rejected_token": access})
	return string(b)
}

// Issue 19 item 2: an app says the service refused its token. Still the
// current one: renewed once, however many ask at once on however many
// replicas, and answered as a fetch; already replaced: the current one,
// without asking the service; renewed less than 30 s ago: not again.
func TestAnAppReportsARefusedToken(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	id := connect(t, ts, emu, "Team Drive", "1h")
	key := createClient(t, ts, "/clients", "Backup job")
	first := apiGet(t, ts, key, "Team Drive")
	refreshes := emu.Refreshes()
	ts.clock.Advance(time.Minute)

	a := apiRefresh(t, ts, key, "Team Drive", rejected(first.Token["access_token"]))
	if a.Status != http.StatusOK || a.Token["access_token"] == first.Token["access_token"] || a.Token["name"] != "Team Drive" ||
		!ts.clock.Now().Before(expiresAt(t, a)) || emu.Refreshes() != refreshes+1 {
		t.Fatalf("the current token reported: %d %v %+v; %d refreshes", a.Status, a.Token, a.Error, emu.Refreshes()-refreshes)
	}
	if got := apiGet(t, ts, key, "Team Drive"); got.Token["access_token"] != a.Token["access_token"] {
		t.Fatal("a fetch does not serve the renewed token")
	}
	// Already replaced: the current token, and the service is not asked.
	if b := apiRefresh(t, ts, key, "Team Drive", rejected(first.Token["access_token"])); b.Status != http.StatusOK ||
		b.Token["access_token"] != a.Token["access_token"] || emu.Refreshes() != refreshes+1 {
		t.Fatalf("a replaced token reported: %d %v; %d refreshes", b.Status, b.Token, emu.Refreshes()-refreshes)
	}
	// The new one reported at once: a looping app cannot storm the service.
	soon := apiRefresh(t, ts, key, "Team Drive", rejected(a.Token["access_token"]))
	if secs, _ := strconv.Atoi(soon.Header.Get("Retry-After")); soon.Status != http.StatusServiceUnavailable || soon.Error.Code != "refresh_too_soon" ||
		secs < 1 || secs > 30 || emu.Refreshes() != refreshes+1 {
		t.Fatalf("reported again within 30 s: %d %s %q Retry-After %q", soon.Status, soon.Error.Code, soon.Error.Message, soon.Header.Get("Retry-After"))
	}

	// Thirty seconds later, many reports at once on two replicas (each
	// with its own worker) renew it once. The emulator's refresh tokens
	// are single use: a second refresh would have lost the grant.
	other := ts.replica()
	w := renewal.New(other.store, registry.ByID, provider.Env{HTTP: ts.srv.HTTPClient, Now: ts.clock.Now},
		slog.New(slog.NewTextHandler(io.Discard, nil)), renewal.NewMetrics(prometheus.NewRegistry(), other.store, ts.clock.Now, registry.Retired()))
	w.Clock = renewal.TimeFrom(ts.clock.Now)
	other.srv.Renewer = w
	ts.clock.Advance(31 * time.Second)
	var wg sync.WaitGroup
	answers := make([]apiAnswer, 16)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			on := ts
			if i%2 == 1 {
				on = other
			}
			answers[i] = apiRefresh(t, on, key, "Team Drive", rejected(a.Token["access_token"]))
		}()
	}
	wg.Wait()
	for _, c := range answers {
		if c.Status != http.StatusOK || c.Token["access_token"] != answers[0].Token["access_token"] || c.Token["access_token"] == a.Token["access_token"] {
			t.Fatalf("concurrent reports: %d %v %+v (first %v)", c.Status, c.Token["access_token"], c.Error, answers[0].Token["access_token"])
		}
	}
	if n := emu.Refreshes() - refreshes; n != 2 {
		t.Fatalf("%d refreshes for two rounds of reports, want 2", n)
	}
	if tok, _ := ts.store.TokenByID(t.Context(), id); tok.NeedsReconnect {
		t.Fatal("a refresh token was spent twice")
	}

	// The token's page says so; the read audit counts the reports apart
	// from fetches.
	page := ts.get("/tokens/" + itoa(id))
	if got := page.text("[data-testid=rejected]"); !strings.HasPrefix(got, "An app reported this token refused at ") || !strings.Contains(got, "Backup job") {
		t.Fatalf("token page: %q", got)
	}
	if err := ts.srv.FlushUsage(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := other.srv.FlushUsage(t.Context()); err != nil {
		t.Fatal(err)
	}
	reads := ts.get("/audit/reads").Doc.Text()
	if !strings.Contains(reads, "Served after an app reported its token refused") || !strings.Contains(reads, "Refused a report of a refused token") ||
		!strings.Contains(reads, "Served") {
		t.Fatalf("read audit: %s", reads)
	}
}

// A report about a token that cannot be renewed is a 409 naming why; a
// malformed report is a 400 in JSON; a token the client may not use is
// the fetch's 404.
func TestARefusedTokenThatCannotBeRenewed(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	connect(t, ts, emu, "Off", token.Disabled)
	id := connect(t, ts, emu, "Revoked", "1h")
	key := createClient(t, ts, "/clients", "Job")

	off := apiGet(t, ts, key, "Off")
	refreshes := emu.Refreshes()
	if a := apiRefresh(t, ts, key, "Off", rejected(off.Token["access_token"])); a.Status != http.StatusConflict || a.Error.Code != "renewals_disabled" ||
		!strings.Contains(a.Error.Message, "Renewal Rate is Disabled") {
		t.Fatalf("Disabled: %d %s %q", a.Status, a.Error.Code, a.Error.Message)
	}
	values, _ := ts.store.TokenValues(t.Context(), id)
	emu.RevokeGrant(values["refresh_token"])
	ts.clock.Advance(time.Minute)
	a := apiRefresh(t, ts, key, "Revoked", rejected(values["access_token"]))
	if a.Status != http.StatusConflict || a.Error.Code != "needs_reconnect" || !strings.Contains(a.Error.Message, "invalid_grant") {
		t.Fatalf("revoked grant: %d %s %q", a.Status, a.Error.Code, a.Error.Message)
	}
	if a := apiRefresh(t, ts, key, "Revoked", rejected(values["access_token"])); a.Status != http.StatusConflict || a.Error.Code != "needs_reconnect" {
		t.Fatalf("needs reconnect: %d %s %q", a.Status, a.Error.Code, a.Error.Message)
	}
	if n := emu.Refreshes() - refreshes; n != 0 {
		t.Fatalf("%d refreshes succeeded", n)
	}

	// A service throttling the renewal: its Retry-After is honoured, and
	// the next report within it does not ask again.
	throttled := connect(t, ts, emu, "Throttled", "1h")
	tv, _ := ts.store.TokenValues(t.Context(), throttled)
	ts.clock.Advance(time.Minute)
	emu.SetFault(oauthtest.Throttle)
	for i := range 2 {
		a := apiRefresh(t, ts, key, "Throttled", rejected(tv["access_token"]))
		if secs, _ := strconv.Atoi(a.Header.Get("Retry-After")); a.Status != http.StatusServiceUnavailable || a.Error.Code != "renewal_failed" || secs < 25 {
			t.Fatalf("report %d of a throttled token: %d %s %q Retry-After %q", i+1, a.Status, a.Error.Code, a.Error.Message, a.Header.Get("Retry-After"))
		}
	}
	emu.SetFault(oauthtest.NoFault)
	failed := 0
	for _, e := range auditOf(t, ts, "token.renew.failed") {
		if e.TokenID == throttled {
			failed++
		}
	}
	if failed != 1 {
		t.Fatalf("%d renewals of the throttled token, want 1", failed)
	}

	for _, body := range []string{"", "{", `{"token": "x"}`, `{"rejected_token": ""}`, `{"rejected_token": 5}`, `[]`} {
		if a := apiRefresh(t, ts, key, "Off", body); a.Status != http.StatusBadRequest || a.Error.Code != "bad_request" || !strings.Contains(a.Error.Message, "rejected_token") {
			t.Fatalf("body %q: %d %s %q", body, a.Status, a.Error.Code, a.Error.Message)
		}
	}
	if a := apiRefresh(t, ts, key, "Nope", rejected("x")); a.Status != http.StatusNotFound {
		t.Fatalf("unknown token: %d", a.Status)
	}
	if a := apiRefresh(t, ts, "tdk_wrong", "Off", rejected("x")); a.Status != http.StatusUnauthorized {
		t.Fatalf("bad key: %d", a.Status)
	}
}
