package web

import (
	"database/sql"
	"net/http"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/token"
)

// Review finding 7(a): a token stored without an expiry (by a version
// before migration 00022, or a replica not yet upgraded) is taken to live
// token.AssumedLifetime from its last renewal, by the list as by the
// runtime API: the list does not call it "Not connected yet" while the API
// says it expired, and both say the same thing.
func TestTheListAndTheAPIAgreeOnAMissingExpiry(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	id := connect(t, ts, emu, "Team Drive", "disabled")
	key := createClient(t, ts, "/clients", "Backup job")

	// A row as an older version wrote it: no expiry, only when it was renewed.
	driver, dsn, update := "sqlite", ts.dbURL+"?_pragma=busy_timeout(5000)", "UPDATE tokens SET expires_at = NULL, last_renewed_at = ? WHERE id = ?"
	if webOnPostgres() {
		driver, dsn, update = "pgx", ts.dbURL, "UPDATE tokens SET expires_at = NULL, last_renewed_at = $1 WHERE id = $2"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	setRenewed := func(ago time.Duration) {
		t.Helper()
		if _, err := db.ExecContext(t.Context(), update, ts.clock.Now().Add(-ago).UnixMilli(), id); err != nil {
			t.Fatal(err)
		}
		ts.srv.index.Sync(t.Context()) // as its poll of the change log would
	}

	// Obtained 20 minutes ago: served, and listed as usable.
	setRenewed(20 * time.Minute)
	if a := apiGet(t, ts, key, "Team Drive"); a.Status != http.StatusOK {
		t.Fatalf("20 minutes old: %d %+v", a.Status, a.Error)
	}
	if got := tokenRowStatus(t, ts, "Team Drive"); got != token.StatusNotRenewed {
		t.Fatalf("20 minutes old, listed as %q, want %q", got, token.StatusNotRenewed)
	}

	// Obtained two hours ago: expired for both.
	setRenewed(2 * time.Hour)
	a := apiGet(t, ts, key, "Team Drive")
	if a.Status != http.StatusConflict || a.Error.Code != token.StatusCode(token.StatusExpiredDisabled) {
		t.Fatalf("two hours old: %d %s %q", a.Status, a.Error.Code, a.Error.Message)
	}
	if got := tokenRowStatus(t, ts, "Team Drive"); got != token.StatusExpiredDisabled {
		t.Fatalf("two hours old, listed as %q, while the API answers %s", got, a.Error.Code)
	}
}
