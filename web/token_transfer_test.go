package web

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
	"github.com/tokendesk/tokendesk/internal/transfer"
)

const exportPass = "correct horse transfer staple"

// lowWork keeps scrypt cheap in tests; files are otherwise the same.
func lowWork(ts *testServer) *testServer { ts.srv.transfer.workFactor = 10; return ts }

// export selects ids on base's list, opens Export and downloads the file.
func exportTokens(t *testing.T, ts *testServer, base string, form url.Values) (*http.Response, []byte) {
	t.Helper()
	q := url.Values{"id": form["id"]}
	wantStatus(t, ts.get(base+"/export?"+q.Encode()), http.StatusOK)
	f := url.Values{"_csrf": {ts.csrf()}}
	for k, v := range form {
		f[k] = v
	}
	req, _ := http.NewRequest(http.MethodPost, ts.http.URL+base+"/export", strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func mustExport(t *testing.T, ts *testServer, base string, form url.Values) []byte {
	t.Helper()
	resp, body := exportTokens(t, ts, base, form)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %d %s", resp.StatusCode, excerpt(string(body)))
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="tokendesk-tokens-`) {
		t.Fatalf("Content-Disposition %q", cd)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Fatalf("Cache-Control %q", cc)
	}
	return body
}

// uploadImport posts a file (and passphrase) to base's Import, with the CSRF token.
func uploadImport(t *testing.T, ts *testServer, base string, data []byte, pass string) page {
	t.Helper()
	ts.get(base + "/import")
	return ts.postMultipart(base+"/import", ts.csrf(), data, pass)
}

func (ts *testServer) postMultipart(path, csrf string, data []byte, pass string) page {
	ts.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if csrf != "" {
		mw.WriteField("_csrf", csrf)
	}
	mw.WriteField("passphrase", pass)
	fw, _ := mw.CreateFormFile("file", "tokens.json")
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, ts.http.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return ts.do(req)
}

// previewRows reads the preview: name → status.
func previewRows(p page) map[string]string {
	out := map[string]string{}
	p.Doc.Find("[data-testid=import-row]").Each(func(_ int, r *goquery.Selection) {
		out[strings.TrimSpace(r.Find("[data-testid=import-name]").Text())] = strings.TrimSpace(r.Find("[data-testid=import-status]").Text())
	})
	return out
}

// confirmImport submits the preview with its default choices changed by choices.
func confirmImport(t *testing.T, ts *testServer, base string, preview page, choices url.Values) page {
	t.Helper()
	form := url.Values{}
	draft, _ := preview.Doc.Find("input[name=draft]").Attr("value")
	form.Set("draft", draft)
	preview.Doc.Find("input[type=radio][checked]").Each(func(_ int, s *goquery.Selection) {
		n, _ := s.Attr("name")
		v, _ := s.Attr("value")
		form.Set(n, v)
	})
	for k, v := range choices {
		form[k] = v
	}
	return ts.post(base+"/import/confirm", form)
}

func auditText(t *testing.T, ts *testServer) string {
	t.Helper()
	entries, _, err := ts.store.ListAudit(t.Context(), 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, a := range entries {
		b.WriteString(a.Actor + " " + a.Action + " " + a.Subject + " " + strings.Join(a.Fields, ",") + " " + a.Detail + "\n")
	}
	return b.String()
}

// Export with and without secrets, import each into an empty database:
// the list and forms show the same definitions, the runtime API serves
// the tokens imported with their secrets, and no secret shows anywhere.
func TestExportImportRoundTrip(t *testing.T) {
	src := lowWork(newTestServer(t))
	src.signInAdmin()
	saveRedox(t, src, "/tokens", "Lab Feed")
	src.get("/tokens/new/zoom-s2s")
	wantRedirect(t, src.post("/tokens/new/zoom-s2s", url.Values{"name": {"Meetings"}, "description": {"All hands"}, "region": {"zoom"},
		"account_id": {zoomAccount}, "client_id": {zoomClient}, "client_secret": {zoomClientSecret}, "renewal_rate": {"30m"}}), "/tokens")
	src.get("/tokens/new/redox-oauth")
	wantRedirect(t, src.post("/tokens/new/redox-oauth", redoxOAuthForm("FHIR Feed", "es384")), "/tokens/3")
	ids := []string{itoa(tokenIDByName(t, src, "Lab Feed")), itoa(tokenIDByName(t, src, "Meetings")), itoa(tokenIDByName(t, src, "FHIR Feed"))}
	srcKey := src.get("/tokens/" + ids[2]).text("[data-testid=public-key]")
	secrets := []string{redoxSecret, zoomClientSecret, "PRIVATE KEY"}

	// The list offers Import and, for selected tokens, Export.
	list := src.get("/tokens")
	if list.Doc.Find("[data-testid=export-selected]").Length() != 1 || list.Doc.Find("[data-testid=import-tokens]").Length() != 1 {
		t.Fatal("the toolbar has no Import / Export")
	}

	defs := mustExport(t, src, "/tokens", url.Values{"id": ids})
	var f transfer.File
	if err := json.Unmarshal(defs, &f); err != nil {
		t.Fatalf("definitions are not JSON: %v\n%s", err, defs)
	}
	if f.Format != transfer.Format || f.Version != 1 || f.Secrets || len(f.Tokens) != 3 {
		t.Fatalf("file: %+v", f)
	}
	for _, s := range append(secrets, "access_token") {
		if bytes.Contains(defs, []byte(s)) {
			t.Fatalf("definitions carry %q:\n%s", s, defs)
		}
	}
	withSecrets := mustExport(t, src, "/tokens", url.Values{"id": ids, "secrets": {"on"}, "passphrase": {exportPass}, "passphrase2": {exportPass}})
	if !transfer.Encrypted(withSecrets) {
		t.Fatalf("an export with secrets is not encrypted:\n%s", withSecrets)
	}
	audit := auditText(t, src)
	if !strings.Contains(audit, "tokens.export 3 access tokens") || !strings.Contains(audit, "with secrets, encrypted: FHIR Feed, Lab Feed, Meetings") {
		t.Fatalf("export not audited by name:\n%s", audit)
	}

	t.Run("definitions only", func(t *testing.T) {
		dst := lowWork(newTestServer(t))
		dst.signInAdmin()
		p := uploadImport(t, dst, "/tokens", defs, "")
		wantStatus(t, p, http.StatusOK)
		if got := previewRows(p); got["Lab Feed"] != "new" || got["Meetings"] != "new" || got["FHIR Feed"] != "new" {
			t.Fatalf("preview: %v", got)
		}
		if !strings.Contains(p.Body, "No Secret in the file") {
			t.Fatalf("the preview does not say the secret is missing:\n%s", excerpt(p.Body))
		}
		wantRedirect(t, confirmImport(t, dst, "/tokens", p, nil), "/tokens")
		for _, name := range []string{"Lab Feed", "Meetings"} {
			if a, b := rowOf(t, src.get("/tokens"), name), rowOf(t, dst.get("/tokens"), name); a["type"] != b["type"] || a["rate"] != b["rate"] || a["encrypted"] != b["encrypted"] {
				t.Fatalf("%s: %v, imported %v", name, a, b)
			}
		}
		form := dst.get("/tokens/" + itoa(tokenIDByName(t, dst, "Lab Feed")))
		if v, _ := form.Doc.Find("#f-api_key").Attr("value"); v != redoxKey || form.text("#f-description") != "Lab results feed" {
			t.Fatalf("imported form: api_key %q", v)
		}
		if form.Doc.Find("[data-testid=stored-secret]").Length() != 0 {
			t.Fatal("a secret shows as stored though the file had none")
		}
	})

	t.Run("with secrets", func(t *testing.T) {
		dst := lowWork(newTestServer(t))
		dst.signInAdmin()
		p := uploadImport(t, dst, "/tokens", withSecrets, exportPass)
		wantStatus(t, p, http.StatusOK)
		if got := previewRows(p); len(got) != 3 || got["Lab Feed"] != "new" {
			t.Fatalf("preview: %v", got)
		}
		bodies := []string{p.Body, p.Request.URL.String()}
		// The preview waits sealed: the database files hold no secret in the clear.
		files, _ := filepath.Glob(filepath.Join(dst.dir, "tokendesk.db*"))
		if len(files) < 2 && !webOnPostgres() {
			t.Fatalf("expected the database and its WAL, found %v", files)
		}
		for _, name := range files {
			raw, _ := os.ReadFile(name)
			for _, s := range append(secrets, "BEGIN PRIVATE") {
				if bytes.Contains(raw, []byte(s)) {
					t.Fatalf("%s holds %q in the clear while the preview waits", filepath.Base(name), s)
				}
			}
		}
		done := confirmImport(t, dst, "/tokens", p, nil)
		wantRedirect(t, done, "/tokens")
		list := dst.get("/tokens")
		if !strings.Contains(list.Body, "Imported 3 access tokens") {
			t.Fatalf("no confirmation:\n%s", excerpt(list.Body))
		}
		key := createClient(t, dst, "/clients", "Importer")
		for _, name := range []string{"Lab Feed", "Meetings"} {
			a := apiGet(t, dst, key, name)
			if a.Status != http.StatusOK || a.Token["name"] != name || a.Token["access_token"] == "" {
				t.Fatalf("%s through the runtime API: %d %+v", name, a.Status, a.Error)
			}
		}
		// The key pair came along: the same public key, not a new one.
		fhir := dst.get("/tokens/" + itoa(tokenIDByName(t, dst, "FHIR Feed")))
		if got := fhir.text("[data-testid=public-key]"); got == "" || got != srcKey {
			t.Fatalf("public key after import %q, want %q", got, srcKey)
		}
		if fhir.Doc.Find("[data-testid=stored-shared_secret]").Length() != 0 {
			t.Fatal("an ES384 token shows a shared secret")
		}
		lab := dst.get("/tokens/" + itoa(tokenIDByName(t, dst, "Lab Feed")))
		if lab.Doc.Find("[data-testid=stored-secret]").Length() != 1 {
			t.Fatal("the imported secret is not stored")
		}
		bodies = append(bodies, list.Body, fhir.Body, lab.Body, dst.get("/audit").Body, dst.logs.String(), auditText(t, dst))
		for _, b := range bodies {
			for _, s := range append(secrets, exportPass) {
				if strings.Contains(b, s) {
					t.Fatalf("%q shows in a page, log or audit entry", s)
				}
			}
		}
		if !strings.Contains(auditText(t, dst), "tokens.import 3 access tokens") || !strings.Contains(auditText(t, dst), "new: ") {
			t.Fatalf("import not audited:\n%s", auditText(t, dst))
		}
		// The preview is used up: confirming it again writes nothing.
		again := confirmImport(t, dst, "/tokens", p, nil)
		wantStatus(t, again, http.StatusUnprocessableEntity)
		if countTokens(t, dst) != 3 {
			t.Fatalf("a second confirmation imported again: %d tokens", countTokens(t, dst))
		}
	})
}

// A bad file gets a clear message next to its field, 422, and writes
// nothing: no token, no value, no audit entry.
func TestImportRefusesBadFilesAndWritesNothing(t *testing.T) {
	src := lowWork(newTestServer(t))
	src.signInAdmin()
	createTestToken(t, src, "Lab Feed")
	id := itoa(tokenIDByName(t, src, "Lab Feed"))
	enc := mustExport(t, src, "/tokens", url.Values{"id": {id}, "secrets": {"on"}, "passphrase": {exportPass}, "passphrase2": {exportPass}})
	plain := mustExport(t, src, "/tokens", url.Values{"id": {id}})

	tampered := bytes.Clone(enc)
	i := len(tampered) * 2 / 3
	for tampered[i] == '\n' || tampered[i] == 'B' {
		i++
	}
	tampered[i] = 'B'
	lines := strings.Split(strings.TrimSpace(string(enc)), "\n")
	truncated := []byte(strings.Join(append(lines[:len(lines)-2:len(lines)-2], lines[len(lines)-1]), "\n"))
	edit := func(from, to string) []byte {
		if !bytes.Contains(plain, []byte(from)) {
			t.Fatalf("the export has no %q:\n%s", from, plain)
		}
		return bytes.Replace(plain, []byte(from), []byte(to), 1)
	}

	dst := lowWork(newTestServer(t))
	dst.signInAdmin()
	createTestToken(t, dst, "Already Here")
	before, beforeAudit := countTokens(t, dst), auditCount(t, dst)
	for _, tc := range []struct {
		name  string
		data  []byte
		pass  string
		field string
		want  string
	}{
		{"wrong passphrase", enc, "not the passphrase at all", "passphrase", "That passphrase does not open this file"},
		{"no passphrase", enc, "", "passphrase", "This file is encrypted"},
		{"tampered", tampered, exportPass, "file", "The encrypted file is damaged"},
		{"truncated", truncated, exportPass, "file", "The encrypted file is damaged"},
		{"truncated JSON", plain[:len(plain)/2], "", "file", "not a complete tokendesk export"},
		{"not an export", []byte("name,secret\nLab Feed,x\n"), "", "file", "not a complete tokendesk export"},
		{"newer version", edit(`"version": 1`, `"version": 2`), "", "file", "format this one does not read"},
		{"unknown provider", edit(`"provider": "redox"`, `"provider": "acme"`), "", "file", "of a type this tokendesk does not know (“acme”)"},
		{"unknown field of a known provider", edit(`"api_key":`, `"colour": "red", "api_key":`), "", "file", "a field that Redox tokens do not have: “colour”"},
		{"a secret where values go", edit(`"api_key":`, `"secret": "x", "api_key":`), "", "file", "“secret”"},
		{"unknown field of the format", edit(`"scope":`, `"origin": "x", "scope":`), "", "file", "a field “origin”"},
		{"plain secrets", edit(`"values":`, `"secrets": {"secret": "x"}, "values":`), "", "file", "secrets without encryption"},
		{"a value the form refuses", edit(`"renewal_rate": "1h"`, `"renewal_rate": "every second"`), "", "file", "Choose one of the listed Renewal Rate options"},
		{"empty", nil, "", "file", "The file is empty"},
		{"too large", bytes.Repeat([]byte(" "), transfer.MaxSize+1), "", "file", "larger than 5 MB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := uploadImport(t, dst, "/tokens", tc.data, tc.pass)
			if p.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%s", p.StatusCode, excerpt(p.Body))
			}
			if got := p.text("[data-testid=error-" + tc.field + "]"); !strings.Contains(got, tc.want) {
				t.Fatalf("%s error %q, want %q", tc.field, got, tc.want)
			}
			if p.Doc.Find("input[name=passphrase]").AttrOr("value", "") != "" {
				t.Fatal("the passphrase came back in the page")
			}
			if countTokens(t, dst) != before || auditCount(t, dst) != beforeAudit {
				t.Fatal("a refused file wrote something")
			}
		})
	}
	// A request far past the limit is refused before it is read.
	big := uploadImport(t, dst, "/tokens", bytes.Repeat([]byte("x"), transfer.MaxSize+1<<20), "")
	if big.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(big.Body, "larger than 5 MB") {
		t.Fatalf("oversized upload: %d\n%s", big.StatusCode, excerpt(big.Body))
	}
	if strings.Contains(dst.logs.String(), exportPass) || strings.Contains(dst.logs.String(), redoxSecret) {
		t.Fatal("a passphrase or secret reached the log")
	}
}

// "would replace" takes the file's renewal rate and secret, re-sealed;
// a conflict can be imported under another name; both are one transaction.
func TestImportReplaceAndConflict(t *testing.T) {
	sqliteFileOnly(t) // storedValue reads the SQLite file
	src := lowWork(newTestServer(t))
	src.signInAdmin()
	src.get("/tokens/new/redox")
	r := redoxForm("Lab Feed")
	r.Set("renewal_rate", "15m")
	r.Set("secret", "rdx-secret-from-file")
	wantRedirect(t, src.post("/tokens/new/redox", r), "/tokens")
	src.get("/tokens/new/zoom")
	wantRedirect(t, src.post("/tokens/new/zoom", zoomForm("Meetings")), "/tokens")
	file := mustExport(t, src, "/tokens", url.Values{"id": {itoa(tokenIDByName(t, src, "Lab Feed")), itoa(tokenIDByName(t, src, "Meetings"))},
		"secrets": {"on"}, "passphrase": {exportPass}, "passphrase2": {exportPass}})

	dst := lowWork(newTestServer(t))
	dst.signInAdmin()
	createTestToken(t, dst, "Lab Feed") // Redox, rate 1h, the test secret
	dst.get("/tokens/new/zoom-s2s")
	wantRedirect(t, dst.post("/tokens/new/zoom-s2s", url.Values{"name": {"meetings"}, "region": {"zoom"},
		"account_id": {zoomAccount}, "client_id": {zoomClient}, "client_secret": {zoomClientSecret}, "renewal_rate": {"1h"}}), "/tokens")
	labID := tokenIDByName(t, dst, "Lab Feed")
	sealedBefore, _ := storedValue(t, dst, labID, "secret")

	// Definitions only over a token with its secret: nothing is missing.
	defs := mustExport(t, src, "/tokens", url.Values{"id": {itoa(tokenIDByName(t, src, "Lab Feed"))}})
	dp := uploadImport(t, dst, "/tokens", defs, "")
	if got := previewRows(dp); got["Lab Feed"] != "would replace" || strings.Contains(dp.Body, "No Secret") || !strings.Contains(dp.Body, "keeps the stored secrets") {
		t.Fatalf("definitions over a stored token: %v\n%s", got, excerpt(dp.Body))
	}

	p := uploadImport(t, dst, "/tokens", file, exportPass)
	wantStatus(t, p, http.StatusOK)
	if got := previewRows(p); got["Lab Feed"] != "would replace" || got["Meetings"] != "conflict" {
		t.Fatalf("preview: %v", got)
	}
	if why := p.text("[data-testid=import-why]"); !strings.Contains(why, "Zoom (Server-to-Server OAuth) token of this name") {
		t.Fatalf("conflict reason %q", why)
	}
	// A rename to a name the rules refuse, or one the list has, is a field error; nothing is written.
	before := auditCount(t, dst)
	for _, bad := range []struct{ name, want string }{{"Meetings!", "only letters, numbers and spaces"}, {"MEETINGS", "already exists"}, {"LAB  feed", "Another token of this import"}, {"", "Enter a new name"}} {
		again := confirmImport(t, dst, "/tokens", p, url.Values{"choice-0": {"replace"}, "choice-1": {"rename"}, "rename-1": {bad.name}})
		wantStatus(t, again, http.StatusUnprocessableEntity)
		if got := again.text("[data-testid=error-rename]"); !strings.Contains(got, bad.want) {
			t.Fatalf("rename %q: error %q, want %q", bad.name, got, bad.want)
		}
		if v, _ := again.Doc.Find("input[name=rename-1]").Attr("value"); v != bad.name {
			t.Fatalf("the typed name was not kept: %q", v)
		}
		if auditCount(t, dst) != before {
			t.Fatal("a refused confirmation wrote something")
		}
	}
	done := confirmImport(t, dst, "/tokens", p, url.Values{"choice-0": {"replace"}, "choice-1": {"rename"}, "rename-1": {"Meetings JWT"}})
	wantRedirect(t, done, "/tokens")

	list := dst.get("/tokens")
	if row := rowOf(t, list, "Lab Feed"); row["rate"] != "Every 15 minutes" {
		t.Fatalf("replaced token's rate: %v", row)
	}
	if row := rowOf(t, list, "Meetings JWT"); row["type"] != "Zoom" {
		t.Fatalf("renamed token: %v", row)
	}
	if row := rowOf(t, list, "meetings"); row["type"] != "Zoom (Server-to-Server OAuth)" {
		t.Fatalf("the conflicting token changed: %v", row)
	}
	values, err := dst.store.TokenValues(t.Context(), labID)
	if err != nil {
		t.Fatal(err)
	}
	if values["secret"] != "rdx-secret-from-file" {
		t.Fatal("the replaced token kept its old secret")
	}
	sealedAfter, sealed := storedValue(t, dst, labID, "secret")
	if !sealed || bytes.Equal(sealedAfter, sealedBefore) || bytes.Contains(sealedAfter, []byte("rdx-secret")) {
		t.Fatal("the replaced secret is not freshly sealed")
	}
	audit := auditText(t, dst)
	if !strings.Contains(audit, "token.update Lab Feed renewal_rate,secret imported from a file") {
		t.Fatalf("the replacement is not audited as a change:\n%s", audit)
	}
}

// storedValue reads a value as the database file holds it.
func storedValue(t *testing.T, ts *testServer, tokenID int64, field string) ([]byte, bool) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(ts.dir, "tokendesk.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v []byte
	var sealed bool
	if err := db.QueryRowContext(t.Context(), "SELECT value, sealed FROM token_values WHERE token_id = ? AND field = ?", tokenID, field).Scan(&v, &sealed); err != nil {
		t.Fatal(err)
	}
	return v, sealed
}

// Scope and roles: a designer exports and imports only their app's
// tokens, imports land as app-level tokens, global tokens need an
// administrator, and every state-changing step needs its CSRF token.
func TestTransferScopeRolesAndCSRF(t *testing.T) {
	w := newAppWorld(t)
	lowWork(w.testServer)
	alphaBase, betaBase := "/apps/"+itoa(w.alpha)+"/tokens", "/apps/"+itoa(w.beta)+"/tokens"
	createTestToken(t, w.testServer, "Global Feed")
	globalID := itoa(tokenIDByName(t, w.testServer, "Global Feed"))
	betaID := itoa(saveRedox(t, w.testServer, betaBase, "Beta Feed"))
	alphaID := itoa(saveRedox(t, w.dee, alphaBase, "Alpha Feed"))

	// The designer's own list offers Import / Export.
	if l := w.dee.get(alphaBase + "?id=" + alphaID); l.Doc.Find("[data-testid=import-tokens]").Length() != 1 {
		t.Fatal("an app's list has no Import")
	}
	// Global tokens: administrators only.
	for _, path := range []string{"/tokens/export?id=" + globalID, "/tokens/import"} {
		if p := w.dee.get(path); p.StatusCode != http.StatusForbidden && p.StatusCode != http.StatusNotFound {
			t.Fatalf("designer GET %s: %d", path, p.StatusCode)
		}
	}
	if p := w.dee.post("/tokens/export", url.Values{"id": {globalID}}); p.StatusCode != http.StatusForbidden && p.StatusCode != http.StatusNotFound {
		t.Fatalf("designer POST /tokens/export: %d", p.StatusCode)
	}
	// Another app's list, and another scope's token through one's own list.
	if p := w.dee.get(betaBase + "/import"); p.StatusCode != http.StatusNotFound {
		t.Fatalf("designer opens another app's Import: %d", p.StatusCode)
	}
	w.dee.get(alphaBase)
	p := w.dee.post(alphaBase+"/export", url.Values{"id": {betaID, globalID}})
	wantRedirect(t, p, alphaBase) // nothing of theirs selected: no file
	// Without CSRF: refused, nothing sent or written.
	before := auditCount(t, w.testServer)
	if p := w.dee.postRaw(alphaBase+"/export", url.Values{"id": {alphaID}}); p.StatusCode != http.StatusForbidden || strings.Contains(p.Body, "Alpha Feed") {
		t.Fatalf("export without CSRF: %d", p.StatusCode)
	}
	file := mustExport(t, w.dee, alphaBase, url.Values{"id": {alphaID, betaID}})
	if bytes.Contains(file, []byte("Beta Feed")) || !bytes.Contains(file, []byte(`"scope": "app"`)) || bytes.Contains(file, []byte(`"permissions"`)) {
		t.Fatalf("app export:\n%s", file)
	}
	if p := w.dee.postMultipart(alphaBase+"/import", "", file, ""); p.StatusCode != http.StatusForbidden {
		t.Fatalf("import without CSRF: %d", p.StatusCode)
	}
	if auditCount(t, w.testServer) != before+1 { // the one export
		t.Fatal("a refused request wrote to the audit log")
	}

	// The administrator's global export, imported by the designer into
	// Alpha: the tokens land as Alpha's own (here shadowing the global
	// token, which the preview says and the designer chooses).
	global := mustExport(t, w.testServer, "/tokens", url.Values{"id": {globalID}})
	if !bytes.Contains(global, []byte(`"every_app": true`)) {
		t.Fatalf("global export without its Permission Settings:\n%s", global)
	}
	pv := uploadImport(t, w.dee, alphaBase, global, "")
	wantStatus(t, pv, http.StatusOK)
	if got := previewRows(pv); got["Global Feed"] != "shadows a global token" {
		t.Fatalf("preview: %v", got)
	}
	// Another designer cannot use that preview, even in their own app.
	draft, _ := pv.Doc.Find("input[name=draft]").Attr("value")
	w.eve.get(betaBase)
	if p := w.eve.post(betaBase+"/import/confirm", url.Values{"draft": {draft}, "choice-0": {"import"}}); p.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("another user's preview: %d", p.StatusCode)
	}
	if p := w.dee.postRaw(alphaBase+"/import/confirm", url.Values{"draft": {draft}, "choice-0": {"import"}}); p.StatusCode != http.StatusForbidden {
		t.Fatalf("confirm without CSRF: %d", p.StatusCode)
	}
	wantRedirect(t, confirmImport(t, w.dee, alphaBase, pv, url.Values{"choice-0": {"import"}}), alphaBase)
	toks, _, err := w.store.ListTokens(t.Context(), store.TokenFilter{AppID: w.alpha})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tk := range toks {
		names = append(names, tk.Name)
	}
	if strings.Join(names, ",") != "Alpha Feed,Global Feed" {
		t.Fatalf("Alpha's tokens: %v", names)
	}
	if n, _ := w.store.ScopeTokenCount(t.Context(), 0); n != 1 {
		t.Fatalf("global tokens: %d", n)
	}
}

// Export's own form: a passphrase too short or typed differently is a
// field error; the choice is kept, the passphrase never comes back.
func TestExportPassphraseErrors(t *testing.T) {
	ts := lowWork(newTestServer(t))
	ts.signInAdmin()
	createTestToken(t, ts, "Lab Feed")
	id := itoa(tokenIDByName(t, ts, "Lab Feed"))
	before := auditCount(t, ts)
	for _, tc := range []struct{ pass, again, field, want string }{
		{"", "", "passphrase", "Enter a passphrase"},
		{"short one", "short one", "passphrase", "at least 12 characters"},
		{exportPass, exportPass + "x", "passphrase2", "The two passphrases differ"},
	} {
		resp, body := exportTokens(t, ts, "/tokens", url.Values{"id": {id}, "secrets": {"on"}, "passphrase": {tc.pass}, "passphrase2": {tc.again}})
		if resp.StatusCode != http.StatusUnprocessableEntity || resp.Header.Get("Content-Disposition") != "" {
			t.Fatalf("%q: %d %q", tc.pass, resp.StatusCode, resp.Header.Get("Content-Disposition"))
		}
		doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(body))
		if got := doc.Find("[data-testid=error-" + tc.field + "]").Text(); !strings.Contains(got, tc.want) {
			t.Fatalf("%q: %s error %q", tc.pass, tc.field, got)
		}
		if _, ok := doc.Find("#include-secrets").Attr("checked"); !ok || (tc.pass != "" && bytes.Contains(body, []byte(tc.pass))) {
			t.Fatal("the choice was lost or the passphrase came back")
		}
	}
	if auditCount(t, ts) != before {
		t.Fatal("a refused export was audited")
	}
	// Nothing selected: back to the list, with a message.
	ts.get("/tokens")
	wantRedirect(t, ts.post("/tokens/export", url.Values{}), "/tokens")
}

// A global token's Permission Settings travel by app name: an import
// restores them where the apps exist, says which do not, and never
// widens a restriction. A preview lives 30 minutes.
func TestImportPermissionsAndPreviewExpiry(t *testing.T) {
	w := newAppWorld(t)
	lowWork(w.testServer)
	createTestToken(t, w.testServer, "Lab Feed")
	id := tokenIDByName(t, w.testServer, "Lab Feed")
	if err := w.store.SetTokenPermissions(t.Context(), id, store.Access{Restricted: true, Apps: []int64{w.beta}}, adminEmail); err != nil {
		t.Fatal(err)
	}
	file := mustExport(t, w.testServer, "/tokens", url.Values{"id": {itoa(id)}})
	if !bytes.Contains(file, []byte(`"every_app": false`)) || !bytes.Contains(file, []byte(`"Beta"`)) {
		t.Fatalf("permissions not exported:\n%s", file)
	}
	file = bytes.Replace(file, []byte(`"Beta"`), []byte(`"Beta", "Gamma"`), 1)
	w.get("/tokens/remove?id=" + itoa(id))
	wantRedirect(t, w.post("/tokens/remove", url.Values{"id": {itoa(id)}}), "/tokens")

	p := uploadImport(t, w.testServer, "/tokens", file, "")
	wantStatus(t, p, http.StatusOK)
	if !strings.Contains(p.Body, "Permission Settings name apps this server does not have, left out: “Gamma”") {
		t.Fatalf("no note about the missing app:\n%s", excerpt(p.Body))
	}
	// 31 minutes later the preview is gone; nothing is written.
	w.clock.Advance(31 * time.Minute)
	late := confirmImport(t, w.testServer, "/tokens", p, nil)
	wantStatus(t, late, http.StatusUnprocessableEntity)
	if !strings.Contains(late.text("[data-testid=error-file]"), "That preview has expired") || countTokens(t, w.testServer) != 0 {
		t.Fatalf("late confirmation: %q, %d tokens", late.text("[data-testid=error-file]"), countTokens(t, w.testServer))
	}
	p = uploadImport(t, w.testServer, "/tokens", file, "")
	wantRedirect(t, confirmImport(t, w.testServer, "/tokens", p, nil), "/tokens")
	access, err := w.store.TokenAccess(t.Context(), tokenIDByName(t, w.testServer, "Lab Feed"))
	if err != nil {
		t.Fatal(err)
	}
	if !access.Restricted || len(access.Apps) != 1 || access.Apps[0] != w.beta {
		t.Fatalf("imported permissions: %+v", access)
	}
}

// A generic OAuth 2.0 token signing its client assertions (private_key_jwt)
// keeps its key pair through an export with secrets: the service has the
// public key registered, so an import with a new key pair (another Key ID)
// could never sign in.
func TestExportImportKeepsOAuthKeyPair(t *testing.T) {
	src := lowWork(newTestServer(t))
	emu := startOAuth(t, src, oauthtest.Options{}, oauthtest.PrivateKeyJWT)
	src.signInAdmin()
	src.get("/tokens/new/oauth2")
	f := oauthForm("Reports", emu, "client_credentials", oauthtest.PrivateKeyJWT)
	f.Del("client_secret")
	wantRedirect(t, src.post("/tokens/new/oauth2", f), "/tokens/1")
	id := itoa(tokenIDByName(t, src, "Reports"))
	before := src.get("/tokens/" + id)
	kid, _ := before.Doc.Find("[data-testid=key-id]").Attr("value")
	if kid == "" {
		t.Fatal("no Key ID on the saved token")
	}
	data := mustExport(t, src, "/tokens", url.Values{"id": {id}, "secrets": {"on"}, "passphrase": {exportPass}, "passphrase2": {exportPass}})

	dst := lowWork(newTestServer(t))
	dst.signInAdmin()
	p := uploadImport(t, dst, "/tokens", data, exportPass)
	wantStatus(t, p, http.StatusOK)
	wantRedirect(t, confirmImport(t, dst, "/tokens", p, nil), "/tokens")
	after := dst.get("/tokens/" + itoa(tokenIDByName(t, dst, "Reports")))
	if got, _ := after.Doc.Find("[data-testid=key-id]").Attr("value"); got != kid {
		t.Fatalf("Key ID after import %q, want %q: the key pair registered at the service was lost", got, kid)
	}
	sv, _ := src.store.TokenValues(t.Context(), tokenIDByName(t, src, "Reports"))
	dv, _ := dst.store.TokenValues(t.Context(), tokenIDByName(t, dst, "Reports"))
	if sv["private_key"] == "" || sv["private_key"] != dv["private_key"] {
		t.Fatal("the private key did not come along")
	}
}

// Replacing a token from a file that points it at another Token URL does
// not keep its stored secrets for that address (see
// TestChangedTokenURLNeverReceivesStoredSecrets): a definitions-only file
// is enough to write, so anyone allowed to import could otherwise aim a
// renewal's Client Secret and refresh token at a server of their own.
func TestImportReplaceWithAnotherTokenURLDropsStoredSecrets(t *testing.T) {
	ts := lowWork(newTestServer(t))
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretPost)
	ts.signInAdmin()
	ts.get("/tokens/new/oauth2")
	wantRedirect(t, ts.post("/tokens/new/oauth2", oauthForm("Reports", emu, "client_credentials", oauthtest.ClientSecretPost)), "/tokens")
	id := tokenIDByName(t, ts, "Reports")
	defs := mustExport(t, ts, "/tokens", url.Values{"id": {itoa(id)}})
	defs = bytes.ReplaceAll(defs, []byte(emu.TokenURL()), []byte("https://attacker.example/token"))
	p := uploadImport(t, ts, "/tokens", defs, "")
	wantStatus(t, p, http.StatusOK)
	wantRedirect(t, confirmImport(t, ts, "/tokens", p, url.Values{"choice-0": {"replace"}}), "/tokens")
	values, _ := ts.store.TokenValues(t.Context(), id)
	if values["token_url"] != "https://attacker.example/token" {
		t.Fatalf("setup: token URL %q", values["token_url"])
	}
	if values["client_secret"] != "" {
		t.Fatal("the stored Client Secret was kept for the file's Token URL")
	}
}

// That Replace leaves the token without the secret it needs, so it says
// "Needs secret" and is not renewed on a schedule (every renewal would
// fail), as a token imported from a definitions-only file does. The
// person is told before (the preview) and after (the confirmation): the
// stored secrets and access token stay behind, and what to enter.
func TestImportReplaceWithAnotherTokenURLSaysNeedsSecret(t *testing.T) {
	ts := lowWork(newTestServer(t))
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretPost)
	ts.signInAdmin()
	ts.get("/tokens/new/oauth2")
	wantRedirect(t, ts.post("/tokens/new/oauth2", oauthForm("Reports", emu, "client_credentials", oauthtest.ClientSecretPost)), "/tokens")
	id := tokenIDByName(t, ts, "Reports")
	defs := mustExport(t, ts, "/tokens", url.Values{"id": {itoa(id)}})
	defs = bytes.ReplaceAll(defs, []byte(emu.TokenURL()), []byte("https://other.example/token"))
	// It holds an access token from the old address.
	wantRedirect(t, ts.post("/tokens/"+itoa(id)+"/renew", nil), "/tokens/"+itoa(id))
	if v, _ := ts.store.TokenValues(t.Context(), id); v["access_token"] == "" {
		t.Fatal("setup: Renew Now got no access token")
	}
	p := uploadImport(t, ts, "/tokens", defs, "")
	wantStatus(t, p, http.StatusOK)
	// The preview says so before anything is written, not that the stored
	// secrets are kept.
	notes := p.Doc.Find("[data-testid=import-note]").Text()
	for _, want := range []string{
		"The file's Token URL differs from the stored one, and the stored secrets and the stored access token stay behind",
		"No Client Secret in the file: enter it on the token's page; until then it is not renewed.",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("the preview's notes lack %q: %q", want, notes)
		}
	}
	if strings.Contains(notes, "keeps the stored secrets") {
		t.Errorf("the preview promises the stored secrets: %q", notes)
	}
	wantRedirect(t, confirmImport(t, ts, "/tokens", p, url.Values{"choice-0": {"replace"}}), "/tokens")
	// And the import's confirmation, what it dropped and what to do.
	flash := ts.get("/tokens").Doc.Find("[data-testid=flash]")
	want := "Imported 1 access token: Reports. The Token URL of “Reports” changed, so its stored access token was dropped: " +
		"a token is only sent to the address it was obtained from. “Reports” waits for a secret: enter it on its page; until then it is not renewed."
	if got := strings.Join(strings.Fields(flash.Text()), " "); got != want || !flash.HasClass("alert-warn") {
		cls, _ := flash.Attr("class")
		t.Errorf("after the import (class %q):\n%s\nwant\n%s", cls, got, want)
	}
	if got := tokenRowStatus(t, ts, "Reports"); got != token.StatusNeedsSecret {
		t.Errorf("list says %q after a Replace that dropped the Client Secret, want %q", got, token.StatusNeedsSecret)
	}
	tok, err := ts.store.TokenByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.NeedsSecret || !tok.NextRenewalAt.IsZero() {
		t.Errorf("needs_secret=%v next renewal %v: a token without its Client Secret is scheduled", tok.NeedsSecret, tok.NextRenewalAt)
	}
}
