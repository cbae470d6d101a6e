package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/store"
)

// failingRenewer answers Renew now with a fixed error.
type failingRenewer struct{ err error }

func (f failingRenewer) RenewNow(context.Context, int64) error { return f.err }
func (failingRenewer) Wake()                                   {}

// Renew now raced by edits (or by another process taking the renewal
// over) answers with a clear message, not a 500.
func TestRenewNowRacedByAnEditSaysSo(t *testing.T) {
	for _, raced := range []error{store.ErrStale, store.ErrLeaseLost} {
		t.Run(raced.Error(), func(t *testing.T) {
			ts := newTestServer(t, func(d *testSetup) { d.Renewer = failingRenewer{fmt.Errorf("renewal: %w", raced)} })
			ts.signInAdmin()
			id := saveRedox(t, ts, "/tokens", "Lab Feed")
			ts.get("/tokens/" + itoa(id))
			wantRedirect(t, ts.post("/tokens/"+itoa(id)+"/renew", nil), "/tokens/"+itoa(id))
			// Nothing was renewed: a warning, not the green of a success.
			if got := ts.get("/tokens/" + itoa(id)).text("[data-testid=flash].alert-warn"); !strings.Contains(got, "“Lab Feed” was changed while Renew now was running") {
				t.Fatalf("flash %q", got)
			}
		})
	}
}

// A lease left by a killed process blocks Renew now until it expires:
// the answer says when that is, and then Renew now works.
func TestRenewNowSaysWhenALeftLeaseFreesTheToken(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	id := saveRedox(t, ts, "/tokens", "Lab Feed")
	if _, err := ts.store.ClaimOne(t.Context(), id, "killed-process", ts.clock.Now(), 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	ts.clock.Advance(30 * time.Second)
	ts.get("/tokens/" + itoa(id))
	wantRedirect(t, ts.post("/tokens/"+itoa(id)+"/renew", nil), "/tokens/"+itoa(id))
	got := ts.get("/tokens/" + itoa(id)).text("[data-testid=flash].alert-warn")
	if !strings.Contains(got, "free again at 09:02:00 UTC (in 90 seconds)") {
		t.Fatalf("flash %q", got)
	}

	ts.clock.Advance(90 * time.Second)
	p := ts.post("/tokens/"+itoa(id)+"/renew", nil)
	wantStatus(t, p, http.StatusSeeOther)
	if got := ts.get("/tokens/" + itoa(id)).text("[data-testid=flash]"); !strings.HasPrefix(got, "Renewed “Lab Feed”") {
		t.Fatalf("after the lease expired: %q", got)
	}
}
