package oauthtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// postTo sends a form to path with optional Basic credentials.
func (f *fixture) postTo(t *testing.T, path, id, secret string, form url.Values) answer {
	t.Helper()
	req, _ := http.NewRequest("POST", f.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &a.body)
	return a
}

// Salesforce's answer has no expires_in; introspection tells the expiry
// (RFC 7662), and says "inactive" once the grant is revoked.
func TestNoExpiresInWithIntrospection(t *testing.T) {
	f := setup(t, Options{AutoApprove: true, NoExpiresIn: true, AccessTTL: 2 * time.Hour})
	a := f.exchange(t)
	if _, has := a.body["expires_in"]; has {
		t.Fatalf("expires_in sent: %v", a.body)
	}
	at := a.str("access_token")
	for _, path := range []string{"/introspect", "/services/oauth2/introspect"} {
		in := f.postTo(t, path, "web", "web secret/+", url.Values{"token": {at}, "token_type_hint": {"access_token"}})
		if in.status != 200 || in.body["active"] != true || int64(in.body["exp"].(float64)) != f.clock.t.Add(2*time.Hour).Unix() {
			t.Fatalf("%s: %d %v", path, in.status, in.body)
		}
	}
	if in := f.postTo(t, "/introspect", "web", "wrong", url.Values{"token": {at}}); in.status != 401 {
		t.Fatalf("introspection without the client's credentials: %d", in.status)
	}
	f.s.RevokeGrant(a.str("refresh_token"))
	if in := f.postTo(t, "/introspect", "web", "web secret/+", url.Values{"token": {at}}); in.body["active"] != false {
		t.Fatalf("revoked: %v", in.body)
	}
}

// Revoking the grant (a refresh refused) kills its access tokens: every
// "who am I" then answers 401. Presenting a spent refresh token again
// revokes the whole family when the service says so (Salesforce).
func TestRevocationAndReuseKillTheGrant(t *testing.T) {
	f := setup(t, Options{AutoApprove: true, ReuseRevokesGrant: true})
	a := f.exchange(t)
	b := f.refresh(t, a.str("refresh_token"))
	if b.status != 200 || b.str("refresh_token") == "" || b.str("refresh_token") == a.str("refresh_token") {
		t.Fatalf("rotation: %d %v", b.status, b.body)
	}
	for _, path := range []string{"/userinfo", "/v1.0/me", "/2.0/users/me", "/drive/v3/about", "/services/oauth2/userinfo"} {
		if u := f.get(t, path, b.str("access_token")); u.status != 200 {
			t.Fatalf("%s before: %d", path, u.status)
		}
	}
	if r := f.refresh(t, a.str("refresh_token")); r.status != 400 || r.str("error") != "invalid_grant" {
		t.Fatalf("reuse: %d %v", r.status, r.body)
	}
	if r := f.refresh(t, b.str("refresh_token")); r.str("error") != "invalid_grant" {
		t.Fatalf("the newest refresh token survived a reuse: %v", r.body)
	}
	for _, path := range []string{"/userinfo", "/v1.0/me", "/2.0/users/me", "/drive/v3/about"} {
		if u := f.get(t, path, b.str("access_token")); u.status != 401 {
			t.Fatalf("%s after revocation: %d", path, u.status)
		}
	}
}

// Non-rotating refresh tokens (Google, Dropbox) keep working and answers
// carry no new one; rotating ones (the default) answer invalid_grant when
// spent.
func TestRotatingAndNonRotatingRefreshTokens(t *testing.T) {
	f := setup(t, Options{AutoApprove: true, RefreshReusable: true})
	a := f.exchange(t)
	for range 2 {
		if r := f.refresh(t, a.str("refresh_token")); r.status != 200 || r.str("refresh_token") != "" {
			t.Fatalf("non-rotating: %d %v", r.status, r.body)
		}
	}
	f.s.SetRefreshSingleUse(true)
	r := f.refresh(t, a.str("refresh_token"))
	if r.str("refresh_token") == "" {
		t.Fatalf("rotating: %v", r.body)
	}
	if again := f.refresh(t, a.str("refresh_token")); again.str("error") != "invalid_grant" {
		t.Fatalf("spent refresh token: %v", again.body)
	}
}

// interaction_required (and its kin) on refresh, until switched off.
func TestRefreshErrorNeedsAPerson(t *testing.T) {
	f := setup(t, Options{AutoApprove: true})
	a := f.exchange(t)
	f.s.SetRefreshError("interaction_required", "AADSTS50076: you must use multi-factor authentication.")
	if r := f.refresh(t, a.str("refresh_token")); r.status != 400 || r.str("error") != "interaction_required" {
		t.Fatalf("%d %v", r.status, r.body)
	}
	f.s.SetRefreshError("", "")
	if r := f.refresh(t, a.str("refresh_token")); r.status != 200 {
		t.Fatalf("after: %d %v", r.status, r.body)
	}
}

// The "who am I" endpoints answer in their vendors' shapes; Dropbox's is a
// POST.
func TestWhoAmIShapes(t *testing.T) {
	f := setup(t, Options{AutoApprove: true})
	at := f.exchange(t).str("access_token")
	if u := f.get(t, "/drive/v3/about", at); u.body["user"].(map[string]any)["emailAddress"] != "demo.user@oauth.example" {
		t.Fatalf("Drive %v", u.body)
	}
	if u := f.get(t, "/v1.0/me", at); u.body["userPrincipalName"] != "demo.user@oauth.example" {
		t.Fatalf("Graph %v", u.body)
	}
	req, _ := http.NewRequest("POST", f.base+"/2/users/get_current_account", nil)
	req.Header.Set("Authorization", "Bearer "+at)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	json.NewDecoder(resp.Body).Decode(&d)
	resp.Body.Close()
	if resp.StatusCode != 200 || d["name"].(map[string]any)["display_name"] != "Demo User" {
		t.Fatalf("Dropbox %d %v", resp.StatusCode, d)
	}
}

// A client registered for one assertion algorithm refuses another with
// "alg mismatch", as panva's oidc-provider does.
func TestAlgMismatch(t *testing.T) {
	f := setup(t, Options{})
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	f.s.AddClient(Client{ID: "rs256-only", AuthMethod: PrivateKeyJWT, ClientCredentials: true, AssertionAlg: "RS256", PublicKeys: []crypto.PublicKey{&key.PublicKey}})
	assert := func(m jwt.SigningMethod, jti string) url.Values {
		s, _ := jwt.NewWithClaims(m, jwt.MapClaims{"iss": "rs256-only", "sub": "rs256-only", "aud": f.s.TokenURL(),
			"exp": f.clock.t.Add(time.Minute).Unix(), "iat": f.clock.t.Unix(), "jti": jti}).SignedString(key)
		return url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {assertionType}, "client_assertion": {s}}
	}
	if a := f.post(t, "", "", assert(jwt.SigningMethodRS384, "j1")); a.status != 401 || a.str("error_description") != "alg mismatch" {
		t.Fatalf("RS384: %d %v", a.status, a.body)
	}
	if a := f.post(t, "", "", assert(jwt.SigningMethodRS256, "j2")); a.status != 200 {
		t.Fatalf("RS256: %d %v", a.status, a.body)
	}
}

// Entra: /common refused for a single-tenant app (AADSTS50194) in Entra's
// JSON shape; certificate credentials need x5t#S256 naming an uploaded
// certificate and RS256 or PS256.
func TestEntraRules(t *testing.T) {
	f := setup(t, Options{Entra: &Entra{Tenant: "contoso.onmicrosoft.com"}})
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "robot"},
		NotBefore: f.clock.t.Add(-time.Hour), NotAfter: f.clock.t.Add(24 * time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	cert, _ := x509.ParseCertificate(der)
	f.s.AddClient(Client{ID: "robot", AuthMethod: PrivateKeyJWT, ClientCredentials: true})
	tokenPath := "/contoso.onmicrosoft.com/oauth2/v2.0/token"
	n := 0
	assert := func(m jwt.SigningMethod, thumb bool) url.Values {
		n++
		tok := jwt.NewWithClaims(m, jwt.MapClaims{"iss": "robot", "sub": "robot", "aud": f.base + tokenPath,
			"exp": f.clock.t.Add(time.Minute).Unix(), "iat": f.clock.t.Unix(), "jti": "j" + string(rune('a'+n))})
		tok.Header["kid"] = "robot-key"
		if thumb {
			sum := sha256.Sum256(der)
			tok.Header["x5t#S256"] = base64.RawURLEncoding.EncodeToString(sum[:])
		}
		s, _ := tok.SignedString(key)
		return url.Values{"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"},
			"client_assertion_type": {assertionType}, "client_assertion": {s}}
	}
	common := f.postTo(t, "/common/oauth2/v2.0/token", "", "", assert(jwt.SigningMethodPS256, true))
	if codes, _ := common.body["error_codes"].([]any); common.status != 400 || len(codes) != 1 || codes[0] != float64(50194) ||
		!strings.HasPrefix(common.str("error_description"), "AADSTS50194:") || common.str("trace_id") == "" || common.str("correlation_id") == "" {
		t.Fatalf("/common: %d %v", common.status, common.body)
	}
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"kid alone", assert(jwt.SigningMethodRS256, false), "AADSTS700027"},
		{"certificate not uploaded", assert(jwt.SigningMethodPS256, true), "AADSTS700027"},
	} {
		if a := f.postTo(t, tokenPath, "", "", tc.form); a.status != 401 || !strings.HasPrefix(a.str("error_description"), tc.want) {
			t.Fatalf("%s: %d %v", tc.name, a.status, a.body)
		}
	}
	f.s.RegisterCertificate("robot", cert)
	if a := f.postTo(t, tokenPath, "", "", assert(jwt.SigningMethodRS384, true)); a.status != 401 || !strings.HasPrefix(a.str("error_description"), "AADSTS5002738") {
		t.Fatalf("RS384: %d %v", a.status, a.body)
	}
	for _, m := range []jwt.SigningMethod{jwt.SigningMethodPS256, jwt.SigningMethodRS256} {
		if a := f.postTo(t, tokenPath, "", "", assert(m, true)); a.status != 200 {
			t.Fatalf("%s: %d %v", m.Alg(), a.status, a.body)
		}
	}
	if a := f.postTo(t, "/organizations/oauth2/v2.0/token", "", "", assert(jwt.SigningMethodPS256, true)); a.status != 401 {
		// The assertion names the tenant's token URL: another audience.
		t.Fatalf("aud of another endpoint accepted: %d %v", a.status, a.body)
	}
}

// get calls a protected resource with a bearer token.
func (f *fixture) get(t *testing.T, path, token string) answer {
	t.Helper()
	req, _ := http.NewRequest("GET", f.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode}
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &a.body)
	return a
}
