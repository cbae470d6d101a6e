package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/provider/redox/redoxtest"
)

func TestRenewNowAndTheRenewalState(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/redox")
	form := redoxForm("Lab Feed")
	form.Set("action", "get_token")
	pending, _ := ts.post("/tokens/new/redox", form).Doc.Find("input[name=pending]").Attr("value")
	form.Del("action")
	form.Set("pending", pending)
	wantRedirect(t, ts.post("/tokens/new/redox", form), "/tokens")
	id := tokenIDByName(t, ts, "Lab Feed")

	page := ts.get("/tokens/" + itoa(id))
	for sel, want := range map[string]string{
		"[data-testid=renewal-status]": "Healthy",
		"[data-testid=last-renewed]":   "2026-11-22 09:00 UTC",
		"[data-testid=next-renewal]":   "2026-11-22 10:00 UTC",
		"[data-testid=expires]":        "2026-11-23 09:00 UTC",
	} {
		if got := page.text(sel); got != want {
			t.Errorf("%s: %q, want %q", sel, got, want)
		}
	}
	if page.Doc.Find("[data-testid=last-error]").Length() != 0 {
		t.Error("a last error on a healthy token")
	}
	if rowOf(t, ts.get("/tokens"), "Lab Feed")["status"] != "Healthy" {
		t.Error("list status")
	}

	// A failing renewal is visible: on the page, in the list, in the audit log.
	ts.clock.Advance(10 * 60e9)
	ts.redox.SetFault(redoxtest.Fail500)
	before, _ := ts.store.TokenValues(t.Context(), id)
	wantRedirect(t, ts.post("/tokens/"+itoa(id)+"/renew", nil), "/tokens/"+itoa(id))
	page = ts.get("/tokens/" + itoa(id))
	if got := page.text("[data-testid=flash]"); got != "Renewing “Lab Feed” failed: Redox is failing (HTTP 500). Nothing was changed; try again later. The previous access token stays in place." {
		t.Fatalf("flash %q", got)
	}
	if got := page.text("[data-testid=last-error]"); !strings.HasPrefix(got, "Redox is failing (HTTP 500).") || !strings.Contains(got, "1 failed attempt in a row") {
		t.Fatalf("last error %q", got)
	}
	if page.text("[data-testid=renewal-status]") != "Renewal failing" || rowOf(t, ts.get("/tokens"), "Lab Feed")["status"] != "Renewal failing" {
		t.Fatal("failing status not shown")
	}
	after, _ := ts.store.TokenValues(t.Context(), id)
	if after["access_token"] != before["access_token"] {
		t.Fatal("a failed renewal replaced the access token")
	}

	// Recovery clears the error.
	ts.redox.SetFault(redoxtest.NoFault)
	wantRedirect(t, ts.post("/tokens/"+itoa(id)+"/renew", nil), "/tokens/"+itoa(id))
	page = ts.get("/tokens/" + itoa(id))
	if got := page.text("[data-testid=flash]"); got != "Renewed “Lab Feed”. The new access token expires 2026-11-23 09:10 UTC." {
		t.Fatalf("flash %q", got)
	}
	if page.Doc.Find("[data-testid=last-error]").Length() != 0 || page.text("[data-testid=renewal-status]") != "Healthy" {
		t.Fatal("error not cleared after a successful renewal")
	}
	audit := ts.get("/audit").text("[data-testid=audit-table] tbody")
	if !strings.Contains(audit, "Renewed access token") || !strings.Contains(audit, "Renewal of access token failed") {
		t.Fatalf("audit log: %q", audit)
	}
	// Renew now is recorded as done by the person who pressed it.
	if strings.Contains(audit, "renewal worker") || strings.Count(audit, adminEmail) != 3 {
		t.Fatalf("Renew now not recorded as the administrator's: %q", audit)
	}
	if strings.Contains(ts.logs.String(), after["access_token"]) {
		t.Fatal("log holds an access token")
	}
}

func TestZoomJWTHasNothingToRenew(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/zoom")
	wantRedirect(t, ts.post("/tokens/new/zoom", zoomForm("Meetings")), "/tokens")
	id := tokenIDByName(t, ts, "Meetings")
	if ts.get("/tokens/"+itoa(id)).Doc.Find("[data-testid=renew-now]").Length() != 0 {
		t.Fatal("Renew now offered for a JWT app")
	}
	p := ts.post("/tokens/"+itoa(id)+"/renew", nil)
	wantStatus(t, p, http.StatusBadRequest)
	// Issue 9 item 21 / issue 10 item 3: not "Not renewed" (a JWT is signed
	// per call), but what is true of it: Zoom no longer accepts it.
	if got := rowOf(t, ts.get("/tokens"), "Meetings")["status"]; got != "Retired by Zoom" {
		t.Fatalf("JWT token status %q", got)
	}
}
