package web

import (
	"bytes"
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/store"
)

func storeFilter() store.TokenFilter { return store.TokenFilter{} }

// Secrets, once saved, appear in no page, log line, audit entry or
// database file.
func TestSecretsAreNeverShownLoggedOrStoredInTheClear(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	secrets := []string{"REDOX-SECRET-aaaa1111", "PASTED-ACCESS-TOKEN-bbbb2222", "ZOOM-API-SECRET-cccc3333"}

	ts.get("/tokens/new/redox")
	r := redoxForm("Lab Feed")
	r.Set("secret", secrets[0])
	r.Set("access_token", secrets[1])
	wantRedirect(t, ts.post("/tokens/new/redox", r), "/tokens")
	ts.get("/tokens/new/zoom")
	z := zoomForm("Meetings")
	z.Set("api_secret", secrets[2])
	wantRedirect(t, ts.post("/tokens/new/zoom", z), "/tokens")

	// Edit both, rejected once and saved once.
	redoxID, zoomID := tokenIDByName(t, ts, "Lab Feed"), tokenIDByName(t, ts, "Meetings")
	bad := redoxForm("Lab-Feed")
	bad.Set("secret", secrets[0])
	bad.Set("version", "1")
	wantStatus(t, ts.post("/tokens/"+itoa(redoxID), bad), http.StatusUnprocessableEntity)
	z.Set("api_secret", "")
	z.Set("description", "edited")
	z.Set("version", "1")
	wantRedirect(t, ts.post("/tokens/"+itoa(zoomID), z), "/tokens")

	var pages []string
	for _, path := range []string{"/tokens", "/tokens/" + itoa(redoxID), "/tokens/" + itoa(zoomID), "/audit", "/users",
		"/tokens/remove?id=" + itoa(redoxID) + "&id=" + itoa(zoomID), "/tokens?q=Lab"} {
		p := ts.get(path)
		wantStatus(t, p, http.StatusOK)
		pages = append(pages, p.Body)
	}
	logs := ts.logs.String()
	audit, _, err := ts.store.ListAudit(t.Context(), 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	var auditText strings.Builder
	for _, a := range audit {
		auditText.WriteString(a.Actor + a.Action + a.Subject + strings.Join(a.Fields, ",") + a.Detail)
	}
	// Read the files while the database is open, so the WAL is there too.
	sqliteFileOnly(t)
	files, _ := filepath.Glob(filepath.Join(ts.dir, "tokendesk.db*"))
	if len(files) < 2 {
		t.Fatalf("expected the database and its WAL, found %v", files)
	}
	raws := map[string][]byte{}
	for _, f := range files {
		raws[f], _ = os.ReadFile(f)
	}
	for _, s := range secrets {
		for i, body := range pages {
			if strings.Contains(body, s) {
				t.Errorf("page %d shows %s", i, s)
			}
		}
		if strings.Contains(logs, s) {
			t.Errorf("logs contain %s", s)
		}
		if strings.Contains(auditText.String(), s) {
			t.Errorf("audit log contains %s", s)
		}
		for f, raw := range raws {
			if bytes.Contains(raw, []byte(s)) {
				t.Errorf("%s holds %s in the clear", filepath.Base(f), s)
			}
		}
	}
}

// A tampered, swapped or wrong-key ciphertext fails loudly: an error page
// and a log line, never garbage and never a silently empty field.
func TestTamperedCiphertextFailsLoudly(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mangle string
	}{
		{"tampered", `UPDATE token_values SET value = CAST(substr(value, 1, length(value) - 1) || CASE WHEN substr(value, -1) = x'00' THEN x'01' ELSE x'00' END AS BLOB) WHERE token_id = ?1 AND field = 'api_key'`},
		{"swapped between fields", `UPDATE token_values SET value = (SELECT value FROM token_values WHERE token_id = ?1 AND field = 'secret') WHERE token_id = ?1 AND field = 'api_key'`},
		{"moved from another token", `UPDATE token_values SET value = (SELECT value FROM token_values WHERE token_id = ?2 AND field = 'api_key') WHERE token_id = ?1 AND field = 'api_key'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sqliteFileOnly(t)
			ts := newTestServer(t)
			victim := createTestToken(t, ts, "Victim")
			other := createTestToken(t, ts, "Other")
			db, err := sql.Open("sqlite", filepath.Join(ts.dir, "tokendesk.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(tc.mangle, victim, other); err != nil {
				t.Fatal(err)
			}
			ts.signInAdmin()
			p := ts.get("/tokens/" + itoa(victim))
			wantStatus(t, p, http.StatusInternalServerError)
			if strings.Contains(p.Body, "rdx-key-1234") {
				t.Fatal("error page shows a credential")
			}
			if !strings.Contains(ts.logs.String(), "cannot be decrypted") {
				t.Fatalf("no log line about the failed decryption:\n%s", ts.logs.String())
			}
			// The other token is unaffected.
			wantStatus(t, ts.get("/tokens/"+itoa(other)), http.StatusOK)
		})
	}
}
