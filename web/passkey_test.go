package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/config"
)

// postJSON sends what the page's script sends: JSON with the CSRF header.
func (ts *testServer) postJSON(path, body string, withCSRF bool) (int, map[string]any) {
	ts.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.http.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if withCSRF {
		req.Header.Set("X-CSRF-Token", ts.csrf())
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// Adding a passkey: the options name this console's host as the relying
// party; a forged or replayed answer is refused and stores nothing; the
// script's requests need the CSRF token. (The whole ceremony, with a real
// authenticator, is TestInTheBrowserPasskeySignIn.)
func TestPasskeyRegistrationRefusals(t *testing.T) {
	ts := newTestServer(t, withConfig(func(c *config.Config) { c.BaseURL, _ = url.Parse("http://localhost:8080") }))
	ts.signInAdmin()
	ts.get("/account")
	if status, _ := ts.postJSON("/account/passkeys/options", "{}", false); status != http.StatusForbidden {
		t.Fatalf("without the CSRF token: %d", status)
	}
	if status, out := ts.postJSON("/account/passkeys", "{}", true); status != http.StatusBadRequest || !strings.Contains(out["error"].(string), "No passkey is being added") {
		t.Fatalf("an answer without a ceremony: %d %v", status, out)
	}
	if status, out := ts.postJSON("/account/passkeys/options", `{"password": "wrong password"}`, true); status != http.StatusUnprocessableEntity || !strings.Contains(out["error"].(string), "not your current password") {
		t.Fatalf("options with a wrong password: %d %v", status, out)
	}
	status, out := ts.postJSON("/account/passkeys/options", `{"password": "`+adminPassword+`"}`, true)
	if status != http.StatusOK {
		t.Fatalf("options: %d %v", status, out)
	}
	pk := out["publicKey"].(map[string]any)
	if rp := pk["rp"].(map[string]any); rp["id"] != "localhost" || pk["challenge"] == "" {
		t.Fatalf("options: %v", pk)
	}
	forged := `{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}`
	if status, out := ts.postJSON("/account/passkeys", forged, true); status != http.StatusUnprocessableEntity || !strings.Contains(out["error"].(string), "not accepted") {
		t.Fatalf("a forged answer: %d %v", status, out)
	}
	// The challenge was spent by the refused answer.
	if status, _ := ts.postJSON("/account/passkeys", forged, true); status != http.StatusBadRequest {
		t.Fatalf("a second answer to one challenge: %d", status)
	}
	if f, _ := ts.store.Factors(context.Background(), 1); len(f) != 0 {
		t.Fatalf("a refused passkey was stored: %v", f)
	}
}

// Passkeys need a host name: with an IP address as the base URL the
// person is told what to set, and nothing breaks.
func TestPasskeysNeedAHostName(t *testing.T) {
	ts := newTestServer(t) // http://127.0.0.1:8080
	ts.signInAdmin()
	ts.get("/account")
	status, out := ts.postJSON("/account/passkeys/options", "{}", true)
	if status != http.StatusConflict || !strings.Contains(out["error"].(string), "TOKENDESK_BASE_URL") {
		t.Fatalf("%d %v", status, out)
	}
}

// The passkey step exists only half-way through signing in.
func TestPasskeySignInNeedsThePassword(t *testing.T) {
	ts := newTestServer(t, withConfig(func(c *config.Config) { c.BaseURL, _ = url.Parse("http://localhost:8080") }))
	ts.get("/login")
	if status, _ := ts.postJSON("/login/passkey/options", "{}", true); status != http.StatusUnauthorized {
		t.Fatalf("options before the password: %d", status)
	}
	if status, _ := ts.postJSON("/login/passkey", "{}", true); status != http.StatusUnauthorized {
		t.Fatalf("an answer before the password: %d", status)
	}
}
