package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/oidctest"
)

// A stored client secret is only ever sent to the provider it was saved
// for: a new Issuer URL or Client ID needs the secret typed again.
func TestSSONewIssuerNeedsTheSecretAgain(t *testing.T) {
	w := newSSOWorld(t)
	other, _ := oidctest.Start(t)
	for _, change := range []url.Values{
		{"issuer": {other.Issuer()}, "client_secret": {""}},
		{"client_id": {"another"}, "client_secret": {""}},
	} {
		p := w.post("/settings/sso", w.form(change))
		wantStatus(t, p, http.StatusUnprocessableEntity)
		if got := p.text("[data-testid=error-client_secret]"); !strings.Contains(got, "Enter the Client Secret again") {
			t.Fatalf("%v: client_secret error %q", change, got)
		}
		set, err := w.store.SSOSettingsNow(context.Background())
		if err != nil || set.Issuer != w.idp.Issuer() || set.ClientID != idpClientID || !set.Enabled {
			t.Fatalf("settings changed by a refused save: %+v %v", set, err)
		}
	}
	// Typed again: saved.
	wantRedirect(t, w.post("/settings/sso", w.form(url.Values{"issuer": {other.Issuer()}, "client_secret": {"the new provider's secret"}})), "/settings/sso")
	if set, _ := w.store.SSOSettingsNow(context.Background()); set.Issuer != other.Issuer() {
		t.Fatalf("issuer %q after saving with the secret", set.Issuer)
	}
}
