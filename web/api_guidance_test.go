package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/config"
	"github.com/tokendesk/tokendesk/internal/store"
)

// redoxEmptyReasonAdvice is tokendesk's advice where Redox refuses a
// signed assertion without a reason: it must reach people whole.
const redoxEmptyReasonAdvice = "Redox refused the signed assertion without saying why (invalid_request, HTTP 400). Redox leaves the reason empty when a claim is wrong: " +
	"check that the Region is where your Redox organization lives, that the Client ID and Key ID match the key registered in the Redox dashboard, " +
	"and that this server's clock is right."

// Finding 6: tokendesk's own advice is never cut at 200 bytes nor has its
// words replaced by [redacted] because a secret happens to be one of them
// (a Shared Secret "wrong"): on the button's result, in the token's last
// error, in the audit log and in the runtime API's answer.
func TestGuidanceReachesPeopleWhole(t *testing.T) {
	ts := newTestServer(t, withConfig(func(c *config.Config) { c.APIRateLimit = 1e9 }))
	ts.signInAdmin()
	ts.redox.AddOAuthKey("rdx-client-1", "kid-1", []byte("shared-secret-0123456789"))
	ts.get("/tokens/new/redox-oauth")
	f := redoxOAuthForm("Shared", "hs384")
	f.Set("shared_secret", "wrong")
	f.Set("action", "get_token")
	p := ts.post("/tokens/new/redox-oauth", f)
	if s, _ := resultOf(p, "get_token"); s != redoxEmptyReasonAdvice {
		t.Fatalf("button result:\n%q\nwant\n%q", s, redoxEmptyReasonAdvice)
	}

	f.Del("action")
	wantRedirect(t, ts.post("/tokens/new/redox-oauth", f), "/tokens")
	id := tokenIDByName(t, ts, "Shared")
	key := createClient(t, ts, "/clients", "Feeder")
	a := apiGet(t, ts, key, "Shared")
	if a.Status != http.StatusServiceUnavailable || !strings.Contains(a.Error.Message, redoxEmptyReasonAdvice) {
		t.Fatalf("api: %d %q", a.Status, a.Error.Message)
	}
	tok, err := ts.store.TokenByID(t.Context(), id)
	if err != nil || tok.LastError != redoxEmptyReasonAdvice {
		t.Fatalf("last error %q (%v)", tok.LastError, err)
	}
	if failed := auditOf(t, ts, store.ActionTokenRenewFailed); len(failed) != 1 || failed[0].Detail != redoxEmptyReasonAdvice {
		t.Fatalf("audit: %+v", failed)
	}
	if got := ts.get("/tokens/" + itoa(id)).Doc.Text(); !strings.Contains(strings.Join(strings.Fields(got), " "), redoxEmptyReasonAdvice) {
		t.Fatal("the token's page does not show the whole advice")
	}
}
