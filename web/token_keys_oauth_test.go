package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
)

// An OAuth 2.0 token signing with private_key_jwt shows its key pair in
// the service's words, and offers no "New key pair" (the app at the
// service is registered with one key): the form used to be shown and its
// POST answered 400. Posted anyway, it is refused with a clear message and
// nothing is written.
func TestOAuthKeyPairOffersNoRotationItCannotDo(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{}, oauthtest.PrivateKeyJWT)
	ts.signInAdmin()
	ts.get("/tokens/new/oauth2")
	f := oauthForm("Reports", emu, "client_credentials", oauthtest.PrivateKeyJWT)
	f.Del("client_secret")
	wantRedirect(t, ts.post("/tokens/new/oauth2", f), "/tokens/1")
	id := tokenIDByName(t, ts, "Reports")
	page := ts.get("/tokens/" + itoa(id))
	panel := page.Doc.Find("[data-testid=key-pair]")
	if panel.Length() != 1 || page.Doc.Find("[data-testid=jwks-url]").Length() != 1 {
		t.Fatal("the token's page does not show its key pair")
	}
	if n := page.Doc.Find("[data-testid=new-key-pair-form], [data-testid=new-key-pair]").Length(); n != 0 {
		t.Fatalf("the page offers a New key pair the server cannot make (%d controls)", n)
	}
	if text := panel.Text(); strings.Contains(text, "Redox") || !strings.Contains(text, "the app's settings at OAuth 2.0") {
		t.Fatalf("the key pair panel is not in the service's words:\n%s", text)
	}
	before, _ := ts.store.TokenValues(t.Context(), id)
	refused := ts.post("/tokens/"+itoa(id)+"/keys", url.Values{"new_key_id": {"kid-2"}})
	wantStatus(t, refused, http.StatusBadRequest)
	if !strings.Contains(refused.Body, "no key pair to replace here") {
		t.Fatalf("refusal says %q", refused.Body)
	}
	after, _ := ts.store.TokenValues(t.Context(), id)
	if after["private_key"] != before["private_key"] || after["key_id"] != before["key_id"] || after["next_key"] != "" {
		t.Fatal("a refused New key pair changed the token's keys")
	}
}
