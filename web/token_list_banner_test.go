package web

import (
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/renewal"
)

// The list's alerts are kept between views (store.StatusCounts) but always
// say what is true now: a token whose renewals are off shows up as
// Expired, renewals Disabled the moment its access token expires by the
// clock, with nothing written; a renewal that fails is counted on the next
// view, and one that succeeds again takes it off.
func TestBannerCountsFollowTheClockAndRenewals(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	connect(t, ts, emu, "Team Drive", "disabled")
	renewed := connect(t, ts, emu, "Zoom Meetings", "1h")
	banner := func() (unusable, failing string) {
		t.Helper()
		list := ts.get("/tokens")
		return strings.Join(strings.Fields(list.Doc.Find("[data-testid=unusable-count]").Text()), " "),
			strings.Join(strings.Fields(list.Doc.Find("[data-testid=failing-count]").Text()), " ")
	}
	expired := "1 Expired, renewals Disabled"
	if unusable, failing := banner(); strings.Contains(unusable, expired) || failing != "No renewals are failing." {
		t.Fatalf("before: %q, %q", unusable, failing)
	}
	ts.clock.Advance(59 * time.Minute)
	if unusable, _ := banner(); strings.Contains(unusable, expired) {
		t.Errorf("a minute before it expires: %q", unusable)
	}
	ts.clock.Advance(time.Minute)
	if unusable, _ := banner(); !strings.Contains(unusable, expired) {
		t.Errorf("when it expires: %q", unusable)
	}
	worker := ts.srv.Renewer.(*renewal.Worker)
	emu.SetFault(oauthtest.Fail500)
	if err := worker.RenewNow(t.Context(), renewed); err == nil {
		t.Fatal("setup: the renewal did not fail")
	}
	if _, failing := banner(); !strings.HasPrefix(failing, "1 token's renewal is failing") {
		t.Errorf("after a failed renewal: %q", failing)
	}
	emu.SetFault(oauthtest.NoFault)
	if err := worker.RenewNow(t.Context(), renewed); err != nil {
		t.Fatal(err)
	}
	if _, failing := banner(); failing != "No renewals are failing." {
		t.Errorf("after it renewed: %q", failing)
	}
}
