package oidctest

import (
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const redirect = "https://console.example/login/sso/callback"

// code runs the consent page's POST for ann and returns the code.
func code(t *testing.T, base, verifier string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"client_id": {"c1"}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"openid email"},
		"state": {"st"}, "nonce": {"n1"}, "code_challenge": {b64(sum[:])}, "code_challenge_method": {"S256"}, "user": {"ann"}}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(base+"/authorize", q)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	u, _ := url.Parse(resp.Header.Get("Location"))
	if u.Query().Get("state") != "st" || u.Query().Get("iss") != base {
		t.Fatalf("redirect %q", resp.Header.Get("Location"))
	}
	return u.Query().Get("code")
}

func exchange(t *testing.T, base string, form url.Values, basic bool) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth("c1", "s1")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// The emulator is as strict as real identity providers: PKCE, exact
// redirect_uri, single-use short-lived codes, client authentication.
func TestTokenEndpointIsStrict(t *testing.T) {
	s, base := Start(t)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	s.AddClient(Client{ID: "c1", Secret: "s1", RedirectURIs: []string{redirect}})
	s.AddUser(User{Subject: "ann", Email: "ann@example.com", Groups: []string{"g"}})
	form := func(code, verifier string) url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
	}

	c := code(t, base, "verifier-1")
	if st, out := exchange(t, base, form(c, "another verifier"), true); st != 400 || out["error"] != "invalid_grant" {
		t.Fatalf("wrong verifier: %d %v", st, out)
	}
	f := form(c, "verifier-1")
	f.Set("redirect_uri", redirect+"/")
	if st, _ := exchange(t, base, f, true); st != 400 {
		t.Fatalf("another redirect_uri: %d", st)
	}
	f = form(c, "verifier-1")
	f.Set("client_id", "c1")
	f.Set("client_secret", "wrong")
	if st, out := exchange(t, base, f, false); st != 401 || out["error"] != "invalid_client" {
		t.Fatalf("wrong secret: %d %v", st, out)
	}
	f.Set("client_secret", "s1") // client_secret_post
	if st, out := exchange(t, base, f, false); st != 200 || out["id_token"] == nil {
		t.Fatalf("good exchange: %d %v", st, out)
	}
	if st, out := exchange(t, base, form(c, "verifier-1"), true); st != 400 || out["error_description"] != "code already used" {
		t.Fatalf("second use: %d %v", st, out)
	}
	c = code(t, base, "verifier-2")
	now = now.Add(CodeTTL)
	if st, out := exchange(t, base, form(c, "verifier-2"), true); st != 400 || out["error_description"] != "code expired" {
		t.Fatalf("late: %d %v", st, out)
	}
}

// Problems with the client or redirect_uri are shown at the provider,
// never sent to an unchecked address; a missing PKCE challenge goes back.
func TestAuthorizeRefusals(t *testing.T) {
	s, base := Start(t)
	s.AddClient(Client{ID: "c1", Secret: "s1", RedirectURIs: []string{redirect}})
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(q url.Values) *http.Response {
		resp, err := c.Get(base + "/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	q := url.Values{"client_id": {"c1"}, "redirect_uri": {"https://evil.example/cb"}, "response_type": {"code"}, "scope": {"openid"}, "state": {"st"}}
	if resp := get(q); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unregistered redirect_uri: %d", resp.StatusCode)
	}
	q.Set("redirect_uri", redirect)
	resp := get(q)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.Contains(loc, "error=invalid_request") || !strings.Contains(loc, "state=st") {
		t.Fatalf("without PKCE: %d %q", resp.StatusCode, loc)
	}
}
