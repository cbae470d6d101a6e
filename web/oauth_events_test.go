package web

import (
	"slices"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/renewal"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
)

// A grant the service refuses for good and a refresh token about to run
// out both reach the people who subscribed, once, without a secret.
func TestOAuthNeedsReconnectAndRefreshExpiryAreNotified(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true, RefreshTTL: 30 * 24 * time.Hour}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	allowPrivate(t, ts)
	r := newReceiver(t, ts)
	_, secret := addWebhook(t, ts, r.srv.URL, store.EventTokenExpiring, store.EventNeedsReconnect)
	r.setSecret(secret)

	revoked := connect(t, ts, emu, "Team Drive", "1h")
	connect(t, ts, emu, "Box Archive", "disabled")
	values, _ := ts.store.TokenValues(t.Context(), revoked)
	emu.RevokeGrant(values["refresh_token"])

	worker := ts.srv.Renewer.(*renewal.Worker)
	ts.clock.Advance(2 * time.Hour)
	if _, err := worker.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	ts.deliver()
	ts.clock.Advance(time.Hour)
	worker.RunOnce(t.Context())
	ts.deliver()
	if got := r.types(); !slices.Equal(got, []string{store.EventNeedsReconnect}) || r.received()[0].Data["name"] != "Team Drive" {
		t.Fatalf("receiver got %v, want one token.needs_reconnect for Team Drive", got)
	}

	// 14 days before Box Archive's refresh token runs out: one warning.
	ts.clock.Advance(30*24*time.Hour - token.RefreshWarning - 3*time.Hour - time.Minute)
	ts.deliver()
	if n := len(r.received()); n != 1 {
		t.Fatalf("%d events before the refresh token's warning time: %v", n, r.types())
	}
	ts.clock.Advance(2 * time.Minute)
	ts.deliver()
	ts.clock.Advance(time.Hour)
	ts.deliver()
	got := r.received()
	if len(got) != 2 || got[1].Type != store.EventTokenExpiring || got[1].Data["name"] != "Box Archive" || got[1].Data["expiring"] != store.ExpiringRefreshToken {
		t.Fatalf("receiver got %v, want one token.expiring for Box Archive's refresh token", r.types())
	}
	after, _ := ts.store.TokenValues(t.Context(), revoked)
	noSecretsIn(t, r, oauthSecret, values["refresh_token"], after["access_token"], secret)
}
