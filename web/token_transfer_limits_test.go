package web

import (
	"bytes"
	"database/sql"
	"net/http"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/store"
)

// Export with secrets is for administrators: a designer's Export page
// offers definitions only, and a forged POST asking for secrets is refused
// with a clear message, sends no file, and writes nothing to the audit log.
// (An administrator's secret on an app token is write-only for the app's
// designers; the designer's own passphrase must not unlock it.)
func TestDesignersCannotExportSecrets(t *testing.T) {
	w := newAppWorld(t)
	lowWork(w.testServer)
	alphaBase := "/apps/" + itoa(w.alpha) + "/tokens"
	id := itoa(saveRedox(t, w.testServer, alphaBase, "Admin Feed")) // the administrator's secret

	p := w.dee.get(alphaBase + "/export?id=" + id)
	wantStatus(t, p, http.StatusOK)
	if p.Doc.Find("#include-secrets, input[name=passphrase], input[name=passphrase2]").Length() != 0 {
		t.Fatal("a designer's Export page offers Include secrets")
	}
	if !strings.Contains(p.text("[data-testid=export-definitions-only]"), "Only administrators can export secrets") {
		t.Fatalf("the page does not say why there is no Include secrets:\n%s", excerpt(p.Body))
	}

	before := auditCount(t, w.testServer)
	forged := w.dee.post(alphaBase+"/export", url.Values{"id": {id}, "secrets": {"on"}, "passphrase": {exportPass}, "passphrase2": {exportPass}})
	if forged.StatusCode != http.StatusForbidden || !strings.Contains(forged.Body, "Only administrators can export secrets") {
		t.Fatalf("forged export with secrets: %d\n%s", forged.StatusCode, excerpt(forged.Body))
	}
	if strings.Contains(forged.Body, redoxSecret) || forged.Header.Get("Content-Disposition") != "" {
		t.Fatal("the refused export sent the file")
	}
	if auditCount(t, w.testServer) != before {
		t.Fatal("a refused export was audited as an export")
	}
	// Definitions still export for the designer.
	if file := mustExport(t, w.dee, alphaBase, url.Values{"id": {id}}); !bytes.Contains(file, []byte("Admin Feed")) || bytes.Contains(file, []byte(redoxSecret)) {
		t.Fatalf("designer's definitions export:\n%s", file)
	}
	// The administrator keeps the choice, on the same list.
	if a := w.get(alphaBase + "/export?id=" + id); a.Doc.Find("#include-secrets").Length() != 1 {
		t.Fatal("an administrator's Export page lacks Include secrets")
	}
	withSecrets := mustExport(t, w.testServer, alphaBase, url.Values{"id": {id}, "secrets": {"on"}, "passphrase": {exportPass}, "passphrase2": {exportPass}})
	if len(withSecrets) == 0 {
		t.Fatal("no file for the administrator")
	}
}

// manyEmptyTokens is a file of n "{}" tokens: 1.7 million fit in 5 MB.
func manyEmptyTokens(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"format":"tokendesk.access-tokens","version":1,"tokens":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("{}")
	}
	b.WriteString("]}")
	return b.Bytes()
}

// A 5 MB upload of 1.7 million empty tokens is refused with a clear 422
// once the 1,001st token is read, without decoding the file whole: the
// request allocates a bounded amount (decoding every token took hundreds
// of megabytes per upload before).
func TestImportRefusesAHugeFileWithoutDecodingItWhole(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	data := manyEmptyTokens(1_700_000)
	ts.get("/tokens/import")
	csrf := ts.csrf()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	p := ts.postMultipart("/tokens/import", csrf, data, "")
	runtime.ReadMemStats(&after)
	// Generous: the upload itself (5 MB, read by the client and the
	// server's multipart parser) costs a few tens of megabytes.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 128<<20 {
		t.Fatalf("one refused upload allocated %d MiB", alloc>>20)
	}
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if msg := p.text("[data-testid=error-file]"); !strings.Contains(msg, "more than 1,000 access tokens") || !strings.Contains(msg, "nothing was imported") {
		t.Fatalf("message: %q", msg)
	}
	if n, _ := ts.store.ScopeTokenCount(t.Context(), 0); n != 0 {
		t.Fatalf("%d tokens written", n)
	}
}

// One waiting preview per person: a new upload replaces the person's
// previous preview (in any list), whose confirmation then says so.
func TestOneWaitingPreviewPerPerson(t *testing.T) {
	w := newAppWorld(t)
	lowWork(w.testServer)
	createTestToken(t, w.testServer, "Global Feed")
	file := mustExport(t, w.testServer, "/tokens", url.Values{"id": {itoa(tokenIDByName(t, w.testServer, "Global Feed"))}})
	alphaBase := "/apps/" + itoa(w.alpha) + "/tokens"

	first := uploadImport(t, w.dee, alphaBase, bytes.Replace(file, []byte("Global Feed"), []byte("First Feed"), 1), "")
	wantStatus(t, first, http.StatusOK)
	var previews []page
	for range 5 {
		p := uploadImport(t, w.dee, alphaBase, bytes.Replace(file, []byte("Global Feed"), []byte("Later Feed"), 1), "")
		wantStatus(t, p, http.StatusOK)
		previews = append(previews, p)
	}
	// Another person's preview is theirs, and stays.
	other := uploadImport(t, w.testServer, "/tokens", bytes.Replace(file, []byte("Global Feed"), []byte("Admin Feed"), 1), "")
	wantStatus(t, other, http.StatusOK)
	if n := draftCount(t, w.testServer); n != 2 {
		t.Fatalf("%d previews wait; want one per person (2)", n)
	}

	p := confirmImport(t, w.dee, alphaBase, first, nil)
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if !strings.Contains(p.text("[data-testid=error-file]"), "replaced by a newer upload") {
		t.Fatalf("confirming a replaced preview: %q", p.text("[data-testid=error-file]"))
	}
	wantRedirect(t, confirmImport(t, w.dee, alphaBase, previews[len(previews)-1], nil), alphaBase)
	wantRedirect(t, confirmImport(t, w.testServer, "/tokens", other, nil), "/tokens")
}

func draftCount(t *testing.T, ts *testServer) int {
	t.Helper()
	driver, dsn := "sqlite", "file:"+filepath.Join(ts.dir, "tokendesk.db")+"?mode=ro"
	if webOnPostgres() {
		driver, dsn = "pgx", ts.dbURL
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM import_drafts").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Importing into an app's list a token named like a global token the app
// uses would shadow it at once (the app's clients get the new token): the
// preview says so, with the app's fetches of it this week, and skips the
// row unless the designer chooses Import.
func TestImportWarnsOfShadowingAGlobalToken(t *testing.T) {
	w := newAppWorld(t)
	lowWork(w.testServer)
	alphaBase := "/apps/" + itoa(w.alpha) + "/tokens"
	globalID := saveRedox(t, w.testServer, "/tokens", "Global Feed")
	saveRedox(t, w.testServer, "/tokens", "Quiet Feed")
	alphaKey := createClient(t, w.testServer, "/apps/"+itoa(w.alpha)+"/clients", "Alpha job")
	betaKey := createClient(t, w.testServer, "/apps/"+itoa(w.beta)+"/clients", "Beta job")
	for range 3 {
		if r := apiGet(t, w.testServer, alphaKey, "Global Feed"); r.Status != http.StatusOK {
			t.Fatalf("fetch: %d", r.Status)
		}
	}
	apiGet(t, w.testServer, betaKey, "Global Feed") // another app's use is not Alpha's
	if err := w.srv.FlushUsage(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Fetches more than a week old do not count.
	reads, err := w.store.TokenReads(t.Context(), globalID, 10)
	if err != nil || len(reads) == 0 {
		t.Fatalf("reads: %v %v", reads, err)
	}
	var alphaClient int64
	for _, r := range reads {
		if r.Count == 3 {
			alphaClient = r.ClientID
		}
	}
	old := w.clock.Now().Add(-8*24*time.Hour).Unix() / 60
	if err := w.store.RecordUsage(t.Context(), store.Usage{Reads: map[store.ReadKey]int64{
		{Minute: old, ClientID: alphaClient, TokenID: globalID, Outcome: store.ReadOK}: 40}}); err != nil {
		t.Fatal(err)
	}

	ids := []string{itoa(globalID), itoa(tokenIDByName(t, w.testServer, "Quiet Feed"))}
	file := mustExport(t, w.testServer, "/tokens", url.Values{"id": ids})
	pv := uploadImport(t, w.dee, alphaBase, file, "")
	wantStatus(t, pv, http.StatusOK)
	rows := previewRows(pv)
	if rows["Global Feed"] == "new" || rows["Quiet Feed"] == "new" {
		t.Fatalf("shadowing rows called new: %v", rows)
	}
	why := pv.Doc.Find("[data-testid=import-why]").Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	text := strings.Join(why, "\n")
	for _, want := range []string{
		"shadows the global token “Global Feed” (used by this app 3 times this week)",
		"shadows the global token “Quiet Feed” (used by this app 0 times this week)",
	} {
		if !strings.Contains(text, want) {
			t.Fatalf("preview lacks %q:\n%s", want, text)
		}
	}
	if n := pv.Doc.Find("input[data-testid=choice-skip][checked]").Length(); n != 2 {
		t.Fatalf("%d of 2 shadowing rows default to Skip", n)
	}
	// Skipping everything imports nothing; choosing Import shadows on purpose.
	if p := confirmImport(t, w.dee, alphaBase, pv, nil); p.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("confirm with the defaults: %d", p.StatusCode)
	}
	wantRedirect(t, confirmImport(t, w.dee, alphaBase, pv, url.Values{"choice-0": {"import"}}), alphaBase)
	// As the preview warned: Alpha's clients now get the imported token,
	// which has no access token yet, instead of the global one.
	if r := apiGet(t, w.testServer, alphaKey, "Global Feed"); r.Status == http.StatusOK {
		t.Fatalf("the app still gets the global token after importing its own: %v", r.Token)
	}
}
