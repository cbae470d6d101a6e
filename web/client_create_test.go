package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/store"
)

// A new API client's key: POST → 303 → a page that shows it once, with a
// Copy button; a reload shows it no more and creates nothing.
func TestNewClientKeyIsShownOnceAfterARedirect(t *testing.T) {
	w := newAppWorld(t)
	w.get("/clients")
	created := w.post("/clients", url.Values{"name": {"Nightly export"}})
	wantRedirect(t, created, "/clients/created")
	if strings.Contains(created.Body, store.KeyPrefix) || strings.Contains(created.Header.Get("Location"), store.KeyPrefix) {
		t.Fatal("the key is in the POST answer or the URL")
	}
	shown := w.get("/clients/created")
	wantStatus(t, shown, http.StatusOK)
	key := shown.text("[data-testid=key]")
	if !strings.HasPrefix(key, store.KeyPrefix) || shown.Doc.Find("[data-testid=copy-key]").Text() != "Copy" {
		t.Fatalf("key page: key %q, copy button %d", key, shown.Doc.Find("[data-testid=copy-key]").Length())
	}
	if shown.text("[data-testid=snippet-key]") != "export TOKENDESK_KEY='"+key+"'" || !strings.Contains(shown.text("[data-testid=snippet-curl]"), "Bearer $TOKENDESK_KEY") {
		t.Fatal("no usage example with the key")
	}
	if r := apiGet(t, w.testServer, key, "No Such Token"); r.Status != http.StatusNotFound {
		t.Fatalf("the shown key does not work: %d", r.Status)
	}

	// A reload: the key is gone, and no second client was made.
	again := w.get("/clients/created")
	wantRedirect(t, again, "/clients")
	list := w.get("/clients")
	if strings.Contains(again.Body+list.Body, key) || !strings.Contains(list.text("[role=status]"), "shown only once") {
		t.Fatalf("reload: key shown again, or no explanation: %q", list.text("[role=status]"))
	}
	if n := list.Doc.Find("[data-testid=client-row]").Length(); n != 1 {
		t.Fatalf("%d clients after a reload, want 1", n)
	}

	// The sealed cookie is bound to the person: another browser's
	// administrator cannot read a designer's new key with it.
	base := "/apps/" + itoa(w.alpha) + "/clients"
	w.dee.get(base)
	posted := w.dee.post(base, url.Values{"name": {"Alpha job"}})
	wantRedirect(t, posted, base+"/created")
	var stolen *http.Cookie
	for _, c := range posted.Cookies() {
		if c.Name == newKeyCookie {
			stolen = c
		}
	}
	if stolen == nil || !stolen.HttpOnly || stolen.Path != base+"/created" {
		t.Fatalf("new-key cookie %+v", stolen)
	}
	u, _ := url.Parse(w.http.URL + base + "/created")
	w.client.Jar.SetCookies(u, []*http.Cookie{{Name: stolen.Name, Value: stolen.Value, Path: stolen.Path}})
	wantRedirect(t, w.get(base+"/created"), base)
	if k := w.dee.get(base + "/created").text("[data-testid=key]"); !strings.HasPrefix(k, store.KeyPrefix) {
		t.Fatal("the designer did not get their key")
	}
}

// Client names are unique among a scope's live clients, ignoring case.
func TestDuplicateClientNamesAreRefused(t *testing.T) {
	w := newAppWorld(t)
	createClient(t, w.testServer, "/clients", "Nightly export")
	w.get("/clients")
	dup := w.post("/clients", url.Values{"name": {"  nightly EXPORT "}})
	wantStatus(t, dup, http.StatusUnprocessableEntity)
	if msg := dup.text("[data-testid=error-name]"); !strings.Contains(msg, "already exists") {
		t.Fatalf("field error %q", msg)
	}
	if v, _ := dup.Doc.Find("#client-name").Attr("value"); v != "nightly EXPORT" {
		t.Fatalf("input not kept: %q", v)
	}
	if clients, _ := w.store.ListClients(t.Context(), 0); len(clients) != 1 {
		t.Fatalf("%d clients, want 1", len(clients))
	}
	// Another scope may use the name; so may a replacement for a revoked one.
	createClient(t, w.dee, "/apps/"+itoa(w.alpha)+"/clients", "Nightly export")
	clients, _ := w.store.ListClients(t.Context(), 0)
	w.get("/clients/" + itoa(clients[0].ID) + "/revoke")
	w.post("/clients/"+itoa(clients[0].ID)+"/revoke", nil)
	createClient(t, w.testServer, "/clients", "Nightly export")
}
