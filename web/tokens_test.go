package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/config"
)

// redoxForm is a valid Redox form.
func redoxForm(name string) url.Values {
	return url.Values{
		"name": {name}, "description": {"Lab results feed"}, "environment": {"development"},
		"api_key": {"rdx-key-1234"}, "secret": {"rdx-secret-5678"}, "renewal_rate": {"1h"},
	}
}

// zoomForm is a valid Zoom form.
func zoomForm(name string) url.Values {
	return url.Values{
		"name": {name}, "description": {"Meetings"}, "api_key": {"zm-key-1234"}, "api_secret": {"zm-secret-5678"}, "encrypt": {"on"},
	}
}

// createTestToken creates a Redox token through the real form and returns its id.
func createTestToken(t *testing.T, ts *testServer, name string) int64 {
	t.Helper()
	admin := newTestServerClient(ts)
	admin.signInAdmin()
	admin.get("/tokens/new/redox")
	wantRedirect(t, admin.post("/tokens/new/redox", redoxForm(name)), "/tokens")
	return tokenIDByName(t, admin, name)
}

func tokenIDByName(t *testing.T, ts *testServer, name string) int64 {
	t.Helper()
	list := ts.get("/tokens")
	var id int64
	list.Doc.Find("[data-testid=token-row]").Each(func(_ int, row *goquery.Selection) {
		if strings.TrimSpace(row.Find("[data-testid=token-name]").Text()) == name {
			v, _ := row.Find("input[name=id]").Attr("value")
			id = mustAtoi(t, v)
		}
	})
	if id == 0 {
		t.Fatalf("token %q not in the list", name)
	}
	return id
}

func mustAtoi(t testing.TB, s string) int64 {
	t.Helper()
	var n int64
	for _, r := range s {
		if r < '0' || r > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int64(r-'0')
	}
	return n
}

func rowOf(t *testing.T, p page, name string) map[string]string {
	t.Helper()
	var out map[string]string
	p.Doc.Find("[data-testid=token-row]").Each(func(_ int, row *goquery.Selection) {
		if strings.TrimSpace(row.Find("[data-testid=token-name]").Text()) == name {
			out = map[string]string{}
			for _, col := range []string{"type", "encrypted", "rate", "status", "changed"} {
				var parts []string
				row.Find("[data-testid=token-" + col + "]").Contents().Each(func(_ int, n *goquery.Selection) {
					if t := strings.TrimSpace(n.Text()); t != "" {
						parts = append(parts, t)
					}
				})
				out[col] = strings.Join(parts, " ")
			}
			out["description"] = strings.TrimSpace(row.Find("td.desc").Text())
		}
	})
	if out == nil {
		t.Fatalf("no row for %q", name)
	}
	return out
}

// The whole life of a global token, as an administrator walks it.
func TestGlobalTokenLifecycle(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()

	empty := ts.get("/tokens")
	if empty.Doc.Find("[data-testid=empty]").Length() != 1 {
		t.Fatal("no empty state on a fresh list")
	}
	for _, col := range []string{"Token Name", "Type", "Encrypted", "Renewal Rate", "Description", "Last changed"} {
		_ = col // columns are checked once rows exist
	}

	ts.get("/tokens/new/redox")
	created := ts.post("/tokens/new/redox", redoxForm("Lab Feed"))
	wantRedirect(t, created, "/tokens")
	list := ts.get("/tokens")
	// Save tests the credentials: Redox's test is getting a token.
	if got := list.text("[data-testid=flash]"); got != "Access token “Lab Feed” saved. Tested (Get OAuth 2.0 Access Token): Obtained an OAuth 2.0 access token from Redox, valid until 2026-11-23 09:00 UTC." {
		t.Errorf("flash %q", got)
	}
	var headers []string
	list.Doc.Find("[data-testid=token-table] thead th").Each(func(i int, s *goquery.Selection) {
		if i > 0 {
			headers = append(headers, strings.TrimSpace(s.Text()))
		}
	})
	if strings.Join(headers, "|") != "Token Name|Type|Encrypted|Renewal Rate|Status|Description|Last changed" {
		t.Errorf("columns %v", headers)
	}
	row := rowOf(t, list, "Lab Feed")
	if row["type"] != "Redox" || row["encrypted"] != "Yes" || row["rate"] != "Every hour" || row["description"] != "Lab results feed" ||
		row["changed"] != adminEmail+" just now" {
		t.Errorf("row %v", row)
	}
	if at, _ := list.Doc.Find("[data-testid=token-changed-at]").Attr("title"); at != "2026-11-22 09:00 UTC" {
		t.Errorf("exact time on hover %q", at)
	}

	// The name links to the typed edit form; the type cannot change.
	href, _ := list.Doc.Find(`[data-testid=token-name]:contains("Lab Feed")`).Attr("href")
	edit := ts.get(href)
	wantStatus(t, edit, http.StatusOK)
	if edit.text("h1") != "Edit Redox Access Token" {
		t.Errorf("edit title %q", edit.text("h1"))
	}
	if v, _ := edit.Doc.Find("#f-api_key").Attr("value"); v != "rdx-key-1234" {
		t.Errorf("API Key shown as %q", v)
	}
	if got := edit.text("[data-testid=stored-secret]"); !strings.HasPrefix(got, "Stored · changed 2026-11-22 09:00 UTC by "+adminEmail) {
		t.Errorf("secret stamp %q", got)
	}
	if v, _ := edit.Doc.Find("#f-secret").Attr("value"); v != "" {
		t.Error("secret rendered into the edit form")
	}
	if edit.Doc.Find("[name=provider]").Length() != 0 {
		t.Error("the edit form offers to change the type")
	}

	// Edit with the secret left empty: the stored secret stays.
	ts.clock.Advance(60_000_000_000)
	form := redoxForm("Lab Feed Renamed")
	form.Set("secret", "")
	form.Set("renewal_rate", "15m")
	form.Set("version", "1")
	wantRedirect(t, ts.post(href, form), "/tokens")
	values, err := ts.store.TokenValues(t.Context(), mustAtoi(t, strings.TrimPrefix(href, "/tokens/")))
	if err != nil || values["secret"] != "rdx-secret-5678" {
		t.Fatalf("secret after edit with empty field: %q %v", values["secret"], err)
	}
	row = rowOf(t, ts.get("/tokens"), "Lab Feed Renamed")
	if row["rate"] != "Every 15 minutes" {
		t.Errorf("rate after edit %q", row["rate"])
	}

	// Typing a secret replaces it.
	form.Set("secret", "new-secret-9999")
	form.Set("version", "2")
	wantRedirect(t, ts.post(href, form), "/tokens")
	values, _ = ts.store.TokenValues(t.Context(), mustAtoi(t, strings.TrimPrefix(href, "/tokens/")))
	if values["secret"] != "new-secret-9999" {
		t.Fatalf("secret not replaced: %q", values["secret"])
	}

	// The audit log names the fields that changed, never values.
	audit := ts.get("/audit")
	var rows []string
	audit.Doc.Find("[data-testid=audit-row]").Each(func(_ int, s *goquery.Selection) {
		var cells []string
		s.Find("td").Each(func(_ int, td *goquery.Selection) { cells = append(cells, strings.TrimSpace(td.Text())) })
		rows = append(rows, strings.Join(cells, " | "))
	})
	if len(rows) != 3 {
		t.Fatalf("audit rows %v", rows)
	}
	if rows[0] != "2026-11-22 09:01 UTC | "+adminEmail+" | Changed access token | Lab Feed Renamed Redox · Global | Secret" ||
		rows[1] != "2026-11-22 09:01 UTC | "+adminEmail+" | Changed access token | Lab Feed Renamed Redox · Global | Token Name, Renewal Rate" ||
		rows[2] != "2026-11-22 09:00 UTC | "+adminEmail+" | Created access token | Lab Feed Redox · Global | Token Name, Description, Environment, API Key, Secret" {
		t.Fatalf("audit rows %q", rows)
	}
	for _, r := range rows {
		if strings.Contains(r, "rdx-secret") || strings.Contains(r, "new-secret") {
			t.Fatal("audit log holds a secret value")
		}
	}
}

func TestOptionalSecretCanBeCleared(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/redox")
	form := redoxForm("Pasted")
	form.Set("access_token", "pasted-access-token")
	wantRedirect(t, ts.post("/tokens/new/redox", form), "/tokens")
	id := tokenIDByName(t, ts, "Pasted")
	edit := ts.get("/tokens/" + itoa(id))
	if edit.Doc.Find("#f-clear_access_token").Length() != 1 {
		t.Fatal("no Clear control for the stored OAuth 2.0 Access Token")
	}
	if edit.Doc.Find("#f-clear_secret").Length() != 0 {
		t.Fatal("a required secret offers to be cleared")
	}
	form.Set("access_token", "")
	form.Set("clear_access_token", "on")
	form.Set("version", "1")
	wantRedirect(t, ts.post("/tokens/"+itoa(id), form), "/tokens")
	values, _ := ts.store.TokenValues(t.Context(), id)
	if _, ok := values["access_token"]; ok {
		t.Fatal("access token not cleared")
	}
	if values["secret"] != "rdx-secret-5678" {
		t.Fatal("clearing one secret touched another")
	}
}

func TestStaleEditIsRefused(t *testing.T) {
	ts := newTestServer(t)
	id := createTestToken(t, ts, "Shared")
	alice := newTestServerClient(ts)
	alice.signInAdmin()
	ts.addUser("bob@example.com", "another long password", "admin")
	bob := newTestServerClient(ts)
	bob.signIn("bob@example.com", "another long password")

	alice.get("/tokens/" + itoa(id))
	bob.get("/tokens/" + itoa(id))

	ts.clock.Advance(5 * 60_000_000_000)
	bobForm := redoxForm("Shared")
	bobForm.Set("description", "Bob's description")
	bobForm.Set("version", "1")
	wantRedirect(t, bob.post("/tokens/"+itoa(id), bobForm), "/tokens")

	aliceForm := redoxForm("Shared")
	aliceForm.Set("description", "Alice's description")
	aliceForm.Set("version", "1")
	p := alice.post("/tokens/"+itoa(id), aliceForm)
	wantStatus(t, p, http.StatusConflict)
	problem := p.text("[data-testid=form-problem]")
	if !strings.Contains(problem, "bob@example.com changed this token at 2026-11-22 09:05 UTC") {
		t.Fatalf("problem %q", problem)
	}
	if got := p.Doc.Find("#f-description").Text(); got != "Alice's description" {
		t.Fatalf("alice's input not kept: %q", got)
	}
	tok, _ := ts.store.TokenByID(t.Context(), id)
	if tok.Description != "Bob's description" {
		t.Fatalf("stale save overwrote: %q", tok.Description)
	}
	// Having seen the message, saving again is a deliberate overwrite.
	v, _ := p.Doc.Find("input[name=version]").Attr("value")
	aliceForm.Set("version", v)
	wantRedirect(t, alice.post("/tokens/"+itoa(id), aliceForm), "/tokens")
}

func TestRemoveSeveralTokensWithConfirmation(t *testing.T) {
	ts := newTestServer(t)
	a := createTestToken(t, ts, "Alpha")
	b := createTestToken(t, ts, "Beta")
	c := createTestToken(t, ts, "Gamma")
	ts.signInAdmin()

	confirm := ts.get("/tokens/remove?id=" + itoa(a) + "&id=" + itoa(c))
	wantStatus(t, confirm, http.StatusOK)
	var names []string
	confirm.Doc.Find("[data-testid=remove-names] li").Each(func(_ int, s *goquery.Selection) { names = append(names, s.Text()) })
	if strings.Join(names, ",") != "Alpha,Gamma" {
		t.Fatalf("confirmation names %v", names)
	}
	// Nothing is removed until confirmed.
	if _, err := ts.store.TokenByID(t.Context(), a); err != nil {
		t.Fatal("removed before confirmation")
	}
	wantRedirect(t, ts.post("/tokens/remove", url.Values{"id": {itoa(a), itoa(c)}}), "/tokens")
	list := ts.get("/tokens")
	if got := list.text("[data-testid=flash]"); got != "Removed 2 access tokens: Alpha, Gamma." {
		t.Fatalf("flash %q", got)
	}
	if list.Doc.Find("[data-testid=token-row]").Length() != 1 || tokenIDByName(t, ts, "Beta") != b {
		t.Fatal("wrong tokens removed")
	}
	// The edit page's Delete leads to the same confirmation.
	del, _ := ts.get("/tokens/" + itoa(b)).Doc.Find("[data-testid=delete]").Attr("href")
	if p := ts.get(del); p.text("[data-testid=remove-names]") != "Beta" {
		t.Fatalf("delete confirmation %q", p.text("[data-testid=remove-names]"))
	}
	wantRedirect(t, ts.get("/tokens/remove"), "/tokens")
}

func TestSearchAndFilter(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	for _, n := range []string{"Lab Feed", "Billing Feed", "Ωμέγα Λαβ"} {
		ts.get("/tokens/new/redox")
		wantRedirect(t, ts.post("/tokens/new/redox", redoxForm(n)), "/tokens")
	}
	ts.get("/tokens/new/zoom")
	wantRedirect(t, ts.post("/tokens/new/zoom", zoomForm("Zoom Lab")), "/tokens")

	names := func(p page) string {
		var out []string
		p.Doc.Find("[data-testid=token-name]").Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
		return strings.Join(out, ",")
	}
	for _, tc := range []struct{ query, want string }{
		{"", "Billing Feed,Lab Feed,Zoom Lab,Ωμέγα Λαβ"},
		// Names containing the search, any case (issue 18: "feed" did
		// not find "Lab Feed").
		{"?q=lab", "Lab Feed,Zoom Lab"},
		{"?q=feed", "Billing Feed,Lab Feed"},
		{"?q=b+FE", "Lab Feed"},
		{"?q=LAB&type=zoom", "Zoom Lab"},
		{"?q=LAB&type=redox", "Lab Feed"},
		{"?q=zoom%20l", "Zoom Lab"},
		{"?q=λαβ", "Ωμέγα Λαβ"},
		// One or two characters: names starting with them.
		{"?q=la", "Lab Feed"},
		{"?q=ed", ""},
		{"?type=zoom", "Zoom Lab"},
		{"?q=ωΜΈΓΑ", "Ωμέγα Λαβ"}, // case folded in any alphabet
		{"?q=nothing", ""},
	} {
		p := ts.get("/tokens" + tc.query)
		if got := names(p); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.query, got, tc.want)
		}
	}
	if ts.get("/tokens?q=nothing").Doc.Find("[data-testid=empty]:contains('No access tokens match')").Length() != 1 {
		t.Error("no empty state for a search without results")
	}
}

func TestEncryptIsLockedUnlessPlaintextIsAllowed(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	form := ts.get("/tokens/new/zoom")
	box := form.Doc.Find("#f-encrypt")
	if _, checked := box.Attr("checked"); !checked {
		t.Fatal("Encrypt not selected")
	}
	if _, disabled := box.Attr("disabled"); !disabled {
		t.Fatal("Encrypt not locked while plaintext is not allowed")
	}
	if form.text("[data-testid=encrypt-locked]") != "Credentials are always encrypted on this server." {
		t.Fatalf("lock note %q", form.text("[data-testid=encrypt-locked]"))
	}
	// Deselecting it (a crafted form) changes nothing.
	f := zoomForm("Always Sealed")
	f.Del("encrypt")
	wantRedirect(t, ts.post("/tokens/new/zoom", f), "/tokens")
	if rowOf(t, ts.get("/tokens"), "Always Sealed")["encrypted"] != "Yes" {
		t.Fatal("stored unencrypted although plaintext is not allowed")
	}

	plain := newTestServer(t, withConfig(func(c *config.Config) { c.AllowPlain = true }))
	plain.signInAdmin()
	box = plain.get("/tokens/new/zoom").Doc.Find("#f-encrypt")
	if _, disabled := box.Attr("disabled"); disabled {
		t.Fatal("Encrypt locked although plaintext is allowed")
	}
	f = zoomForm("Plain Zoom")
	f.Del("encrypt")
	wantRedirect(t, plain.post("/tokens/new/zoom", f), "/tokens")
	wantRedirect(t, plain.post("/tokens/new/zoom", zoomForm("Sealed Zoom")), "/tokens")
	list := plain.get("/tokens")
	if rowOf(t, list, "Plain Zoom")["encrypted"] != "No" || rowOf(t, list, "Sealed Zoom")["encrypted"] != "Yes" {
		t.Fatal("Encrypted column does not tell the truth")
	}
	// Redox has no Encrypt field: always encrypted, even when plaintext is allowed.
	r := redoxForm("Redox Plain Try")
	r.Set("encrypt", "")
	wantRedirect(t, plain.post("/tokens/new/redox", r), "/tokens")
	if rowOf(t, plain.get("/tokens"), "Redox Plain Try")["encrypted"] != "Yes" {
		t.Fatal("Redox stored unencrypted")
	}
	// Turning Encrypt back on re-seals the stored values.
	id := tokenIDByName(t, plain, "Plain Zoom")
	f = zoomForm("Plain Zoom")
	f.Set("api_secret", "")
	f.Set("version", "1")
	wantRedirect(t, plain.post("/tokens/"+itoa(id), f), "/tokens")
	if rowOf(t, plain.get("/tokens"), "Plain Zoom")["encrypted"] != "Yes" {
		t.Fatal("Encrypt on did not take effect")
	}
	vals, err := plain.store.TokenValues(t.Context(), id)
	if err != nil || vals["api_secret"] != "zm-secret-5678" {
		t.Fatalf("re-sealed secret: %q %v", vals["api_secret"], err)
	}
}

func TestDuplicateNamesIgnoreCase(t *testing.T) {
	ts := newTestServer(t)
	createTestToken(t, ts, "Lab Feed")
	ts.signInAdmin()
	ts.get("/tokens/new/zoom")
	p := ts.post("/tokens/new/zoom", zoomForm("LAB FEED"))
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if got := p.text("[data-testid=error-name]"); !strings.Contains(got, "already exists") {
		t.Fatalf("duplicate message %q", got)
	}
}

func TestLongListsArePaged(t *testing.T) {
	ts := newTestServer(t)
	seedTokens(t, ts.store, 120)
	ts.signInAdmin()
	first := ts.get("/tokens")
	if n := first.Doc.Find("[data-testid=token-row]").Length(); n != 100 {
		t.Fatalf("first page has %d rows", n)
	}
	if got := first.text("[data-testid=showing]"); got != "Showing 100 of 120" {
		t.Fatalf("showing %q", got)
	}
	if first.Doc.Find("a[rel=prev]").Length() != 0 {
		t.Fatal("the first page offers a previous page")
	}
	next, _ := first.Doc.Find("[data-testid=next-page]").Attr("href")
	second := ts.get(next)
	if n := second.Doc.Find("[data-testid=token-row]").Length(); n != 20 || second.Doc.Find("[data-testid=next-page]").Length() != 0 {
		t.Fatalf("second page has %d rows", n)
	}
	if got := second.text("[data-testid=token-name]"); got != "Token 00100" {
		t.Fatalf("second page starts at %q", got)
	}
	// Previous leads back to the first page, exactly.
	prev, _ := second.Doc.Find("a[rel=prev]").Attr("href")
	back := ts.get(prev)
	if n := back.Doc.Find("[data-testid=token-row]").Length(); n != 100 || back.text("[data-testid=token-name]") != "Token 00000" {
		t.Fatalf("previous page: %d rows from %q", n, back.text("[data-testid=token-name]"))
	}
	if back.Doc.Find("a[rel=prev]").Length() != 0 || back.Doc.Find("[data-testid=next-page]").Length() != 1 {
		t.Fatal("previous page's links are wrong")
	}
	// A search says what it matched, without counting every token.
	q := ts.get("/tokens?q=token+001&type=redox")
	if got := q.text("[data-testid=showing]"); got != "Showing 20 tokens whose names contain “token 001”" {
		t.Fatalf("filtered: %q", got)
	}
}

// Every order pages forward and back through the whole list: each token
// once, in order, and the same pages backwards.
func TestKeysetPagingInEveryOrder(t *testing.T) {
	ts := newTestServer(t)
	seedTokens(t, ts.store, 230)
	ts.signInAdmin()
	for _, order := range []string{"", "?sort=type", "?sort=changed", "?dir=desc", "?sort=type&dir=desc", "?sort=changed&dir=desc", "?q=token%20001",
		"?q=token%20001&sort=changed", "?q=token%20001&sort=type&dir=desc", "?q=token&sort=changed&dir=desc", "?q=token&sort=type"} {
		t.Run(order, func(t *testing.T) {
			var forward [][]string
			p := ts.get("/tokens" + order)
			for {
				wantStatus(t, p, http.StatusOK)
				var names []string
				p.Doc.Find("[data-testid=token-name]").Each(func(_ int, s *goquery.Selection) { names = append(names, s.Text()) })
				forward = append(forward, names)
				next, ok := p.Doc.Find("[data-testid=next-page]").Attr("href")
				if !ok {
					break
				}
				p = ts.get(next)
			}
			seen := map[string]bool{}
			var all []string
			for _, pg := range forward {
				for _, n := range pg {
					if seen[n] {
						t.Fatalf("%s shown twice", n)
					}
					seen[n] = true
					all = append(all, n)
				}
			}
			want := 230
			if strings.Contains(order, "q=token%20001") {
				want = 100 // Token 00100 … Token 00199: read and sorted
			} // "token" matches all 230: the order's index is walked
			if len(all) != want {
				t.Fatalf("%d tokens over %d pages, want %d", len(all), len(forward), want)
			}
			if order == "?dir=desc" && (all[0] != "Token 00229" || all[len(all)-1] != "Token 00000") {
				t.Fatalf("descending runs %s … %s", all[0], all[len(all)-1])
			}
			for i := len(forward) - 2; i >= 0; i-- {
				prev, ok := p.Doc.Find("a[rel=prev]").Attr("href")
				if !ok {
					t.Fatalf("no Previous on page %d", i+2)
				}
				p = ts.get(prev)
				var names []string
				p.Doc.Find("[data-testid=token-name]").Each(func(_ int, s *goquery.Selection) { names = append(names, s.Text()) })
				if strings.Join(names, ",") != strings.Join(forward[i], ",") {
					t.Fatalf("page %d going back differs", i+1)
				}
			}
		})
	}
}

// A page link edited by hand is a clear 400, never a 500.
func TestTamperedCursorIsABadRequest(t *testing.T) {
	ts := newTestServer(t)
	seedTokens(t, ts.store, 3)
	ts.signInAdmin()
	for _, q := range []string{"?after=***", "?after=bm90IGpzb24", "?before=eyJ4IjoxfQ", "?sort=changed&after=eyJuIjoiYSJ9",
		"?after=eyJuIjoiYSJ9&before=eyJuIjoiYSJ9", "?after=" + strings.Repeat("A", 3000)} {
		p := ts.get("/tokens" + q)
		wantStatus(t, p, http.StatusBadRequest)
		if !strings.Contains(p.Doc.Text(), "page link is damaged") {
			t.Errorf("%s: no clear message", q)
		}
	}
}

// A search longer than the box allows is cut by character, never in the
// middle of one, and old page numbers are ignored rather than overflowing.
func TestOversizedListQueries(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	p := ts.get("/tokens?q=" + url.QueryEscape(strings.Repeat("é", 300)) + "&page=9223372036854775807")
	wantStatus(t, p, http.StatusOK)
	q, _ := p.Doc.Find("input[name=q]").Attr("value")
	if !utf8.ValidString(q) || utf8.RuneCountInString(q) != 200 {
		t.Fatalf("search kept as %d characters, valid UTF-8 %v", utf8.RuneCountInString(q), utf8.ValidString(q))
	}
}
