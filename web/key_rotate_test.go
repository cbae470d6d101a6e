package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/store"
)

// Settings → Rotate key: a confirmation, then a new key for new values and
// the progress of the background re-seal, while the runtime API and edits
// go on; the old key goes only at the end.
func TestRotateKeyFromSettings(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	ts.signInAdmin()
	saveRedox(t, ts, "/tokens", "Lab Feed")
	id := saveRedox(t, ts, "/tokens", "Billing Feed")
	key := createClient(t, ts, "/clients", "Job")
	before := apiGet(t, ts, key, "Lab Feed")
	if before.Status != http.StatusOK {
		t.Fatalf("fetch before: %d", before.Status)
	}

	p := ts.get("/settings")
	if got := p.text("[data-testid=key-current]"); !strings.Contains(got, "key 1") {
		t.Fatalf("current key %q", got)
	}
	total := p.Doc.Find("[data-testid=key-row]").First().Find("td").Eq(1).Text()
	if p.Doc.Find("[data-testid=rotation-progress]").Length() != 0 {
		t.Fatal("a rotation shows before any started")
	}
	href, _ := p.Doc.Find("[data-testid=rotate-key]").Attr("href")
	confirm := ts.get(href)
	if confirm.Doc.Find("[data-testid=rotate-confirm] form [data-testid=confirm-rotate]").Length() != 1 {
		t.Fatal("no confirmation form")
	}
	// Nothing happens until it is confirmed.
	if got := ts.get("/settings").Doc.Find("[data-testid=key-row]").Length(); got != 1 {
		t.Fatalf("%d keys before confirming", got)
	}
	wantRedirect(t, ts.post(href, url.Values{}), "/settings")

	p = ts.get("/settings")
	if got := p.text("[data-testid=flash]"); !strings.Contains(got, "key 2 now seals every new value") {
		t.Fatalf("flash %q", got)
	}
	if got := p.text("[data-testid=key-current]"); !strings.Contains(got, "key 2") {
		t.Fatalf("current key after rotating %q", got)
	}
	progress := p.Doc.Find("[data-testid=rotation-progress]")
	if got := progress.Text(); !strings.Contains(got, "Re-sealing: 0 of "+total+" values") {
		t.Fatalf("progress %q (want 0 of %s)", got, total)
	}
	if trig, _ := p.Doc.Find("#keyring").Attr("hx-trigger"); trig == "" {
		t.Fatal("the section does not refresh itself while the rotation runs")
	}
	// A second rotation waits for the first.
	ts.get(href)
	wantRedirect(t, ts.post(href, url.Values{}), "/settings")
	if got := ts.get("/settings").text("[data-testid=flash]"); !strings.Contains(got, "already under way") {
		t.Fatalf("second rotation: flash %q", got)
	}

	// One batch moves one value; the page says so.
	if _, err := ts.store.ResealBatch(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := ts.get("/settings").text("[data-testid=rotation-progress]"); !strings.Contains(got, "Re-sealing: 1 of "+total+" values") {
		t.Fatalf("progress after a batch %q", got)
	}
	// Mid-rotation, the API answers and an edit saves.
	if mid := apiGet(t, ts, key, "Lab Feed"); mid.Status != http.StatusOK || mid.Token["access_token"] != before.Token["access_token"] {
		t.Fatalf("fetch mid-rotation: %d %v", mid.Status, mid.Token["access_token"])
	}
	ts.get("/tokens/" + itoa(id))
	form := redoxForm("Billing Feed")
	form.Set("secret", "")
	form.Set("description", "edited during the rotation")
	form.Set("version", "1")
	wantRedirect(t, ts.post("/tokens/"+itoa(id), form), "/tokens")

	for {
		res, err := ts.store.ResealBatch(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if !res.More {
			break
		}
	}
	// All moved; key 1 stays through the grace.
	p = ts.get("/settings")
	if got := p.Doc.Find("[data-testid=key-row]").Length(); got != 2 {
		t.Fatalf("%d keys before the grace ended", got)
	}
	ts.clock.Advance(store.DefaultRetireGrace)
	if res, err := ts.store.ResealBatch(ctx, 2); err != nil || len(res.Retired) != 1 {
		t.Fatalf("retire: %+v %v", res, err)
	}
	p = ts.get("/settings")
	if got := p.Doc.Find("[data-testid=key-row]").Length(); got != 1 || !strings.Contains(p.text("[data-testid=key-row]"), "key 2") {
		t.Fatalf("keys after the rotation: %q", p.text("[data-testid=key-table]"))
	}
	if got := p.text("[data-testid=rotation-done]"); !strings.Contains(got, total+" values re-sealed under key 2") {
		t.Fatalf("finished rotation %q", got)
	}
	if trig, _ := p.Doc.Find("#keyring").Attr("hx-trigger"); trig != "" {
		t.Fatal("the section keeps refreshing after the rotation")
	}
	if after := apiGet(t, ts, key, "Lab Feed"); after.Status != http.StatusOK || after.Token["access_token"] != before.Token["access_token"] {
		t.Fatalf("fetch after: %d", after.Status)
	}
	audit := ts.get("/audit").Doc.Find("[data-testid=audit-action]").Text()
	if !strings.Contains(audit, "Started a key rotation") || !strings.Contains(audit, "Finished a key rotation") {
		t.Fatalf("audit %q", audit)
	}
}

// A value no key opens holds the rotation back, and the page says so and
// what to do, without naming or showing the value.
func TestRotationShowsValuesThatDoNotOpen(t *testing.T) {
	sqliteFileOnly(t)
	ctx := context.Background()
	ts := newTestServer(t)
	victim := createTestToken(t, ts, "Victim")
	createTestToken(t, ts, "Other")
	db, err := sql.Open("sqlite", filepath.Join(ts.dir, "tokendesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE token_values SET value = CAST(substr(value, 1, length(value) - 1) || CASE WHEN substr(value, -1) = x'00' THEN x'01' ELSE x'00' END AS BLOB) WHERE token_id = ? AND field = 'api_key'`, victim); err != nil {
		t.Fatal(err)
	}
	ts.signInAdmin()
	ts.get(rotateKeyURL)
	wantRedirect(t, ts.post(rotateKeyURL, url.Values{}), "/settings")
	for range 3 {
		if _, err := ts.store.ResealBatch(ctx, 100); err != nil {
			t.Fatal(err)
		}
	}
	ts.clock.Advance(store.DefaultRetireGrace)
	if _, err := ts.store.ResealBatch(ctx, 100); err != nil {
		t.Fatal(err)
	}
	p := ts.get("/settings")
	if got := p.text("[data-testid=rotation-stuck]"); !strings.Contains(got, "1 value does not open with any key") || !strings.Contains(got, "Remove the tokens") {
		t.Fatalf("stuck notice %q", got)
	}
	if got := p.Doc.Find("[data-testid=key-row]").Length(); got != 2 {
		t.Fatalf("%d keys: the old one must stay while a value uses it", got)
	}
	if strings.Contains(p.Body, "rdx-key-1234") {
		t.Fatal("the page shows a credential")
	}
}
