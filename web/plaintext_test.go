package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/config"
	"github.com/tokendesk/tokendesk/internal/store"
)

// With plaintext allowed, only administrators may store credentials
// unencrypted: a designer's Encrypt box is checked and locked, and a
// forged form without it is stored encrypted all the same.
func TestOnlyAdministratorsMayStoreUnencrypted(t *testing.T) {
	ts := newTestServer(t, withConfig(func(c *config.Config) { c.AllowPlain = true }))
	ts.signInAdmin()
	dee := ts.addUser(deeEmail, designerPassword, store.RoleDesigner)
	ts.get("/apps")
	created := ts.post("/apps/new", url.Values{"name": {"Alpha"}, "kind": {"process"}, "designer": {itoa(dee.ID)}})
	wantStatus(t, created, http.StatusSeeOther)
	base := created.Header.Get("Location") + "/tokens"
	designer := newTestServerClient(ts)
	designer.signIn(deeEmail, designerPassword)

	form := designer.get(base + "/new/zoom")
	box := form.Doc.Find("#f-encrypt")
	_, checked := box.Attr("checked")
	_, disabled := box.Attr("disabled")
	if !checked || !disabled || !strings.Contains(form.text("[data-testid=encrypt-locked]"), "Only administrators") {
		t.Fatalf("designer's Encrypt: checked=%v locked=%v note %q", checked, disabled, form.text("[data-testid=encrypt-locked]"))
	}
	forged := zoomForm("Designer Zoom")
	forged.Del("encrypt")
	wantRedirect(t, designer.post(base+"/new/zoom", forged), base)

	// An administrator in the same app may.
	if _, disabled := ts.get(base + "/new/zoom").Doc.Find("#f-encrypt").Attr("disabled"); disabled {
		t.Fatal("Encrypt locked for an administrator")
	}
	plain := zoomForm("Admin Zoom")
	plain.Del("encrypt")
	wantRedirect(t, ts.post(base+"/new/zoom", plain), base)

	list := ts.get(base)
	if got := rowOf(t, list, "Designer Zoom")["encrypted"]; got != "Yes" {
		t.Fatalf("a designer's forged form stored credentials unencrypted (Encrypted: %q)", got)
	}
	if got := rowOf(t, list, "Admin Zoom")["encrypted"]; got != "No" {
		t.Fatalf("administrator's choice not kept (Encrypted: %q)", got)
	}
}
