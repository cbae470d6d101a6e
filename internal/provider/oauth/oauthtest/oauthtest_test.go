package oauthtest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

const callback = "https://app.example/oauth/callback"

// clock is a test clock the emulator reads.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

type fixture struct {
	s     *Server
	base  string
	clock *clock
}

// setup serves an emulator with one client per authentication method.
func setup(t *testing.T, opts Options) *fixture {
	t.Helper()
	c := &clock{t: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	opts.Clock = c.now
	s, base := Start(t, opts)
	s.AddClient(Client{ID: "web", Secret: "web secret/+", Name: "Acme Reports", RedirectURIs: []string{callback, "https://app.example/other"},
		Scopes: []string{"files.read", "files.write", "offline_access"}})
	s.AddClient(Client{ID: "post", Secret: "post-secret", RedirectURIs: []string{callback}, AuthMethod: ClientSecretPost})
	s.AddClient(Client{ID: "machine", Secret: "machine-secret", ClientCredentials: true, Scopes: []string{"api.read", "api.write"}})
	return &fixture{s: s, base: base, clock: c}
}

// noRedirect is a client that stops at the first redirect, like a test
// that wants to read where the browser would go.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorize opens the authorization URL with q and returns the answer.
func (f *fixture) authorize(t *testing.T, q url.Values) *http.Response {
	t.Helper()
	resp, err := noRedirect.Get(f.base + "/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// redirected reads the query the browser is sent back with.
func redirected(t *testing.T, resp *http.Response) url.Values {
	t.Helper()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("want a redirect back to the client, got %d %s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc.Query()
}

func challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

const verifier = "dBjftJeZ4CQP-mxjeKZ1aa0123456789abcdefghijklmn"

// code obtains an authorization code for the web client with PKCE.
func (f *fixture) code(t *testing.T, client string) string {
	t.Helper()
	q := redirected(t, f.authorize(t, url.Values{"response_type": {"code"}, "client_id": {client}, "redirect_uri": {callback},
		"state": {"s1"}, "code_challenge": {challenge(verifier)}, "code_challenge_method": {"S256"}}))
	if q.Get("code") == "" {
		t.Fatalf("no code: %v", q)
	}
	return q.Get("code")
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func (a answer) str(k string) string { s, _ := a.body[k].(string); return s }

// post sends form to the token endpoint, with Basic credentials when id is set.
func (f *fixture) post(t *testing.T, id, secret string, form url.Values) answer {
	t.Helper()
	req, _ := http.NewRequest("POST", f.base+"/token", strings.NewReader(form.Encode()))
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

func (f *fixture) exchange(t *testing.T) answer {
	t.Helper()
	a := f.post(t, "web", "web secret/+", url.Values{"grant_type": {"authorization_code"}, "code": {f.code(t, "web")},
		"redirect_uri": {callback}, "code_verifier": {verifier}})
	if a.status != 200 {
		t.Fatalf("exchange: %d %v", a.status, a.body)
	}
	return a
}

func (f *fixture) refresh(t *testing.T, refreshToken string) answer {
	t.Helper()
	return f.post(t, "web", "web secret/+", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
}

// userinfo calls the protected resource with a bearer token.
func (f *fixture) userinfo(t *testing.T, token string) answer {
	t.Helper()
	req, _ := http.NewRequest("GET", f.base+"/userinfo", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
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

// The whole authorization-code flow with golang.org/x/oauth2 as the
// client, as the OAuth 2.0 provider will drive it: PKCE, exchange,
// a protected call and a refresh that rotates the refresh token.
func TestCodeFlowWithXOAuth2(t *testing.T) {
	for _, tc := range []struct {
		client, secret string
		style          oauth2.AuthStyle
	}{
		{"web", "web secret/+", oauth2.AuthStyleInHeader},
		{"post", "post-secret", oauth2.AuthStyleInParams},
	} {
		t.Run(tc.client, func(t *testing.T) {
			f := setup(t, Options{AutoApprove: true, Extra: map[string]any{"instance_url": "https://acme.example"}})
			conf := &oauth2.Config{ClientID: tc.client, ClientSecret: tc.secret, RedirectURL: callback,
				Endpoint: oauth2.Endpoint{AuthURL: f.s.AuthURL(), TokenURL: f.s.TokenURL(), AuthStyle: tc.style}}
			v := oauth2.GenerateVerifier()
			resp, err := noRedirect.Get(conf.AuthCodeURL("state-123", oauth2.S256ChallengeOption(v)))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			back := redirected(t, resp)
			if back.Get("state") != "state-123" || back.Get("code") == "" {
				t.Fatalf("redirect back: %v", back)
			}
			ctx := context.Background()
			tok, err := conf.Exchange(ctx, back.Get("code"), oauth2.VerifierOption(v))
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken == "" || tok.RefreshToken == "" || tok.Type() != "Bearer" || tok.ExpiresIn != 3600 ||
				tok.Extra("instance_url") != "https://acme.example" {
				t.Fatalf("token: %+v", tok)
			}
			if got := f.userinfo(t, tok.AccessToken); got.status != 200 || got.str("client_id") != tc.client {
				t.Fatalf("userinfo with the token: %d %v", got.status, got.body)
			}

			tok.Expiry = time.Now().Add(-time.Minute) // x/oauth2 reads the real clock
			fresh, err := conf.TokenSource(ctx, tok).Token()
			if err != nil {
				t.Fatal(err)
			}
			if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken {
				t.Fatalf("refresh did not rotate: %+v", fresh)
			}
			if f.s.Issued() != 2 || f.s.Refreshes() != 1 {
				t.Fatalf("counters: issued %d refreshes %d", f.s.Issued(), f.s.Refreshes())
			}
			// The rotated-out refresh token is spent.
			_, err = conf.TokenSource(ctx, tok).Token()
			var re *oauth2.RetrieveError
			if !asRetrieve(err, &re) || re.ErrorCode != "invalid_grant" {
				t.Fatalf("second use of a refresh token: %v", err)
			}
		})
	}
}

func asRetrieve(err error, re **oauth2.RetrieveError) bool {
	r, ok := err.(*oauth2.RetrieveError)
	if !ok {
		return false
	}
	*re = r
	return true
}

// A person sees whom they authorize and for what, and can refuse.
func TestConsentPage(t *testing.T) {
	f := setup(t, Options{})
	resp := f.authorize(t, url.Values{"response_type": {"code"}, "client_id": {"web"}, "redirect_uri": {callback},
		"scope": {"files.read offline_access"}, "state": {"xyz"}})
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("consent page: %d %v", resp.StatusCode, resp.Header)
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Find(`[data-testid=consent-client]`).Text(); got != "Acme Reports" {
		t.Fatalf("client named %q", got)
	}
	if got := doc.Find(`[data-testid=consent-scopes] li`).Map(func(_ int, s *goquery.Selection) string { return s.Text() }); strings.Join(got, ",") != "files.read,offline_access" {
		t.Fatalf("scopes shown: %v", got)
	}
	form := doc.Find("form")
	if strings.TrimSpace(form.Find(`button[value=allow]`).Text()) != "Allow" || strings.TrimSpace(form.Find(`button[value=deny]`).Text()) != "Deny" {
		t.Fatal("the consent page has no Allow and Deny buttons")
	}
	action, _ := form.Attr("action")
	request, _ := form.Find(`input[name=request]`).Attr("value")
	target, _ := url.Parse(f.base + "/authorize")
	target, _ = target.Parse(action)

	decide := func(decision string) *http.Response {
		r, err := noRedirect.PostForm(target.String(), url.Values{"request": {request}, "decision": {decision}})
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r
	}
	denied := redirected(t, decide("deny"))
	if denied.Get("error") != "access_denied" || denied.Get("state") != "xyz" || denied.Get("code") != "" {
		t.Fatalf("deny: %v", denied)
	}
	if again := decide("allow"); again.StatusCode != 400 {
		t.Fatalf("a consent request answered twice: %d", again.StatusCode)
	}

	doc2, _ := goquery.NewDocumentFromReader(f.authorize(t, url.Values{"response_type": {"code"}, "client_id": {"web"}, "redirect_uri": {callback}, "state": {"abc"}}).Body)
	request, _ = doc2.Find(`input[name=request]`).Attr("value")
	allowed := redirected(t, decide("allow"))
	if allowed.Get("code") == "" || allowed.Get("state") != "abc" {
		t.Fatalf("allow: %v", allowed)
	}
}

// RFC 6749 §4.1.2.1: an unknown client or redirect URI gets a page and is
// never redirected; every other error goes back with error= and the state.
func TestAuthorizeErrors(t *testing.T) {
	f := setup(t, Options{AutoApprove: true})
	good := func(change func(url.Values)) url.Values {
		q := url.Values{"response_type": {"code"}, "client_id": {"web"}, "redirect_uri": {callback}, "state": {"st"}}
		change(q)
		return q
	}
	for _, tc := range []struct {
		name   string
		q      url.Values
		page   bool   // an error page, no redirect
		errStr string // the error= sent back
	}{
		{"unknown client", good(func(q url.Values) { q.Set("client_id", "nobody") }), true, ""},
		{"unregistered redirect URI", good(func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }), true, ""},
		{"redirect URI prefix only", good(func(q url.Values) { q.Set("redirect_uri", callback+"/x") }), true, ""},
		{"several registered, none sent", good(func(q url.Values) { q.Del("redirect_uri") }), true, ""},
		{"missing response_type", good(func(q url.Values) { q.Del("response_type") }), false, "invalid_request"},
		{"implicit grant", good(func(q url.Values) { q.Set("response_type", "token") }), false, "unsupported_response_type"},
		{"scope not allowed", good(func(q url.Values) { q.Set("scope", "files.read admin") }), false, "invalid_scope"},
		{"plain PKCE", good(func(q url.Values) {
			q.Set("code_challenge", challenge(verifier))
			q.Set("code_challenge_method", "plain")
		}), false, "invalid_request"},
		{"PKCE without method (means plain)", good(func(q url.Values) { q.Set("code_challenge", challenge(verifier)) }), false, "invalid_request"},
		{"method without challenge", good(func(q url.Values) { q.Set("code_challenge_method", "S256") }), false, "invalid_request"},
		{"state twice", good(func(q url.Values) { q.Add("state", "again") }), false, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := f.authorize(t, tc.q)
			if tc.page {
				if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
					t.Fatalf("want an error page, got %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
				}
				doc, _ := goquery.NewDocumentFromReader(resp.Body)
				if doc.Find(`[data-testid=oauth-error]`).Text() == "" {
					t.Fatal("the error page does not say what went wrong")
				}
				return
			}
			back := redirected(t, resp)
			if back.Get("error") != tc.errStr || back.Get("code") != "" || back.Get("error_description") == "" {
				t.Fatalf("sent back %v, want error=%s", back, tc.errStr)
			}
			if tc.name != "state twice" && back.Get("state") != "st" {
				t.Fatalf("state not echoed: %v", back)
			}
		})
	}
	if f.s.Issued() != 0 {
		t.Fatal("an authorize error issued a token")
	}
}

// RFC 6749 §5.2 errors of the token endpoint, one rule a row.
func TestTokenErrors(t *testing.T) {
	f := setup(t, Options{AutoApprove: true})
	codeGrant := func(change func(url.Values)) url.Values {
		v := url.Values{"grant_type": {"authorization_code"}, "redirect_uri": {callback}, "code_verifier": {verifier}}
		change(v)
		return v
	}
	for _, tc := range []struct {
		name       string
		id, secret string
		form       func() url.Values
		status     int
		errStr     string
	}{
		{"wrong Basic secret", "web", "nope", func() url.Values { return codeGrant(func(v url.Values) { v.Set("code", f.code(t, "web")) }) }, 401, "invalid_client"},
		{"unknown client", "ghost", "x", func() url.Values { return url.Values{"grant_type": {"client_credentials"}} }, 401, "invalid_client"},
		{"no client authentication", "", "", func() url.Values { return url.Values{"grant_type": {"client_credentials"}, "client_id": {"machine"}} }, 401, "invalid_client"},
		{"Basic client sends secret in body", "", "", func() url.Values {
			return url.Values{"grant_type": {"client_credentials"}, "client_id": {"machine"}, "client_secret": {"machine-secret"}}
		}, 401, "invalid_client"},
		{"post client sends Basic", "post", "post-secret", func() url.Values {
			return codeGrant(func(v url.Values) { v.Set("code", f.code(t, "post")) })
		}, 401, "invalid_client"},
		{"two authentication methods", "web", "web secret/+", func() url.Values {
			return codeGrant(func(v url.Values) { v.Set("code", f.code(t, "web")); v.Set("client_secret", "web secret/+") })
		}, 400, "invalid_request"},
		{"missing grant_type", "web", "web secret/+", func() url.Values { return url.Values{"code": {"x"}} }, 400, "invalid_request"},
		{"unknown grant_type", "web", "web secret/+", func() url.Values { return url.Values{"grant_type": {"password"}} }, 400, "unsupported_grant_type"},
		{"missing code", "web", "web secret/+", func() url.Values { return codeGrant(func(url.Values) {}) }, 400, "invalid_request"},
		{"unknown code", "web", "web secret/+", func() url.Values { return codeGrant(func(v url.Values) { v.Set("code", "made-up") }) }, 400, "invalid_grant"},
		{"wrong redirect_uri", "web", "web secret/+", func() url.Values {
			return codeGrant(func(v url.Values) {
				v.Set("code", f.code(t, "web"))
				v.Set("redirect_uri", "https://app.example/other")
			})
		}, 400, "invalid_grant"},
		{"missing redirect_uri", "web", "web secret/+", func() url.Values {
			return codeGrant(func(v url.Values) { v.Set("code", f.code(t, "web")); v.Del("redirect_uri") })
		}, 400, "invalid_grant"},
		{"wrong code_verifier", "web", "web secret/+", func() url.Values {
			return codeGrant(func(v url.Values) { v.Set("code", f.code(t, "web")); v.Set("code_verifier", verifier+"x") })
		}, 400, "invalid_grant"},
		{"missing code_verifier", "web", "web secret/+", func() url.Values {
			return codeGrant(func(v url.Values) { v.Set("code", f.code(t, "web")); v.Del("code_verifier") })
		}, 400, "invalid_grant"},
		{"code of another client", "web", "web secret/+", func() url.Values {
			return codeGrant(func(v url.Values) { v.Set("code", f.code(t, "post")) })
		}, 400, "invalid_grant"},
		{"expired code", "web", "web secret/+", func() url.Values {
			c := f.code(t, "web")
			f.clock.advance(CodeTTL + time.Second)
			return codeGrant(func(v url.Values) { v.Set("code", c) })
		}, 400, "invalid_grant"},
		{"client_credentials not allowed", "web", "web secret/+", func() url.Values { return url.Values{"grant_type": {"client_credentials"}} }, 400, "unauthorized_client"},
		{"client_credentials scope not allowed", "machine", "machine-secret", func() url.Values {
			return url.Values{"grant_type": {"client_credentials"}, "scope": {"api.read admin"}}
		}, 400, "invalid_scope"},
		{"unknown refresh token", "web", "web secret/+", func() url.Values {
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"made-up"}}
		}, 400, "invalid_grant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := f.post(t, tc.id, tc.secret, tc.form())
			if a.status != tc.status || a.str("error") != tc.errStr || a.str("error_description") == "" {
				t.Fatalf("got %d %v, want %d %s", a.status, a.body, tc.status, tc.errStr)
			}
			if got := a.header.Get("WWW-Authenticate"); (tc.status == 401 && tc.id != "") != strings.HasPrefix(got, "Basic realm=") {
				t.Fatalf("WWW-Authenticate %q after %d with Basic=%v", got, tc.status, tc.id != "")
			}
			if strings.Contains(a.str("error_description"), tc.secret) && tc.secret != "" {
				t.Fatal("the error repeats the secret")
			}
		})
	}

	t.Run("JSON body", func(t *testing.T) {
		req, _ := http.NewRequest("POST", f.base+"/token", strings.NewReader(`{"grant_type":"client_credentials"}`))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("machine", "machine-secret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		if resp.StatusCode != 400 || body["error"] != "invalid_request" {
			t.Fatalf("JSON body: %d %v", resp.StatusCode, body)
		}
	})
	t.Run("GET", func(t *testing.T) {
		resp, err := http.Get(f.base + "/token?grant_type=client_credentials")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 {
			t.Fatalf("GET /token: %d", resp.StatusCode)
		}
	})
}

// §5.1: the success answer's shape and headers.
func TestTokenAnswer(t *testing.T) {
	f := setup(t, Options{AutoApprove: true, AccessTTL: 30 * time.Minute, RefreshTTL: 90 * 24 * time.Hour, Extra: map[string]any{"api_url": "https://api.example"}})
	a := f.exchange(t)
	if a.header.Get("Cache-Control") != "no-store" || a.header.Get("Pragma") != "no-cache" || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		t.Fatalf("headers: %v", a.header)
	}
	if a.str("token_type") != "Bearer" || a.body["expires_in"] != float64(1800) || a.body["refresh_token_expires_in"] != float64(90*24*3600) ||
		a.str("api_url") != "https://api.example" || a.str("refresh_token") == "" || a.str("scope") != "files.read files.write offline_access" {
		t.Fatalf("answer: %v", a.body)
	}
	// The refresh token runs out when the answer said.
	f.clock.advance(90 * 24 * time.Hour)
	if got := f.refresh(t, a.str("refresh_token")); got.status != 400 || got.str("error") != "invalid_grant" {
		t.Fatalf("expired refresh token: %d %v", got.status, got.body)
	}
}

// Rotating single-use refresh tokens, as Zoom's: the chain goes on with
// the newest token only; revocation ends it.
func TestRefreshRotation(t *testing.T) {
	f := setup(t, Options{AutoApprove: true})
	first := f.exchange(t)
	second := f.refresh(t, first.str("refresh_token"))
	if second.status != 200 || second.str("refresh_token") == "" || second.str("refresh_token") == first.str("refresh_token") {
		t.Fatalf("first refresh: %d %v", second.status, second.body)
	}
	if again := f.refresh(t, first.str("refresh_token")); again.status != 400 || again.str("error") != "invalid_grant" {
		t.Fatalf("second use of a refresh token: %d %v", again.status, again.body)
	}
	third := f.refresh(t, second.str("refresh_token"))
	if third.status != 200 {
		t.Fatalf("the newest refresh token after a failed reuse: %d %v", third.status, third.body)
	}
	other := f.post(t, "", "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {third.str("refresh_token")},
		"client_id": {"post"}, "client_secret": {"post-secret"}})
	if other.status != 400 || other.str("error") != "invalid_grant" {
		t.Fatalf("another client's refresh token: %d %v", other.status, other.body)
	}
	if wider := f.post(t, "web", "web secret/+", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {third.str("refresh_token")}, "scope": {"files.read admin"}}); wider.str("error") != "invalid_scope" {
		t.Fatalf("a refresh asking for more scope: %v", wider.body)
	}
	narrower := f.post(t, "web", "web secret/+", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {third.str("refresh_token")}, "scope": {"files.read"}})
	if narrower.status != 200 || narrower.str("scope") != "files.read" {
		t.Fatalf("a narrower refresh: %d %v", narrower.status, narrower.body)
	}
	if f.s.Refreshes() != 3 {
		t.Fatalf("Refreshes() = %d", f.s.Refreshes())
	}

	f.s.RevokeGrant(narrower.str("refresh_token"))
	if got := f.refresh(t, narrower.str("refresh_token")); got.str("error") != "invalid_grant" {
		t.Fatalf("after RevokeGrant: %v", got.body)
	}
	if got := f.userinfo(t, narrower.str("access_token")); got.status != 401 {
		t.Fatalf("an access token of a revoked grant: %d", got.status)
	}

	latest := f.exchange(t)
	f.s.RevokeClient("web")
	if got := f.refresh(t, latest.str("refresh_token")); got.str("error") != "invalid_grant" {
		t.Fatalf("after RevokeClient: %v", got.body)
	}
	if again := f.exchange(t); again.str("refresh_token") == "" {
		t.Fatal("a revoked client cannot be authorized again")
	}
}

func TestReusableRefreshTokens(t *testing.T) {
	f := setup(t, Options{AutoApprove: true, RefreshReusable: true})
	first := f.exchange(t)
	for i := range 2 {
		got := f.refresh(t, first.str("refresh_token"))
		if got.status != 200 || got.str("refresh_token") != "" {
			t.Fatalf("refresh %d of a reusable token: %d %v", i, got.status, got.body)
		}
	}
	f.s.SetRefreshSingleUse(true)
	f.refresh(t, first.str("refresh_token"))
	if got := f.refresh(t, first.str("refresh_token")); got.str("error") != "invalid_grant" {
		t.Fatalf("after SetRefreshSingleUse(true): %v", got.body)
	}

	explicit := setup(t, Options{AutoApprove: true, RefreshReusable: true, RefreshSingleUse: true})
	rt := explicit.exchange(t).str("refresh_token")
	explicit.refresh(t, rt)
	if got := explicit.refresh(t, rt); got.str("error") != "invalid_grant" {
		t.Fatalf("RefreshSingleUse: true did not win: %v", got.body)
	}
}

// RFC 6749 §4.1.2: a code used twice is refused, and the tokens it gave
// are revoked, since one of the two users of the code is an attacker.
func TestCodeReuseRevokesItsTokens(t *testing.T) {
	f := setup(t, Options{AutoApprove: true})
	c := f.code(t, "web")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {callback}, "code_verifier": {verifier}}
	first := f.post(t, "web", "web secret/+", form)
	if first.status != 200 {
		t.Fatalf("first exchange: %v", first.body)
	}
	if again := f.post(t, "web", "web secret/+", form); again.status != 400 || again.str("error") != "invalid_grant" {
		t.Fatalf("code reuse: %d %v", again.status, again.body)
	}
	if got := f.userinfo(t, first.str("access_token")); got.status != 401 {
		t.Fatalf("the access token from a reused code still works: %d", got.status)
	}
	if got := f.refresh(t, first.str("refresh_token")); got.str("error") != "invalid_grant" {
		t.Fatalf("the refresh token from a reused code still works: %v", got.body)
	}
}

// Client credentials through x/oauth2's clientcredentials package: a token
// and no refresh token (§4.4.3).
func TestClientCredentials(t *testing.T) {
	f := setup(t, Options{})
	conf := clientcredentials.Config{ClientID: "machine", ClientSecret: "machine-secret", TokenURL: f.s.TokenURL(),
		Scopes: []string{"api.read"}, AuthStyle: oauth2.AuthStyleInHeader}
	tok, err := conf.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || tok.RefreshToken != "" || tok.Extra("scope") != "api.read" {
		t.Fatalf("token: %+v scope %v", tok, tok.Extra("scope"))
	}
	if got := f.userinfo(t, tok.AccessToken); got.status != 200 || got.str("client_id") != "machine" {
		t.Fatalf("userinfo: %d %v", got.status, got.body)
	}
}

// RFC 6750: the protected resource refuses missing, unknown and expired
// bearer tokens with a WWW-Authenticate a client can act on.
func TestUserinfo(t *testing.T) {
	f := setup(t, Options{AutoApprove: true})
	tok := f.exchange(t).str("access_token")
	if got := f.userinfo(t, tok); got.status != 200 || got.str("email") == "" || got.str("sub") == "" {
		t.Fatalf("userinfo: %d %v", got.status, got.body)
	}
	req, _ := http.NewRequest("GET", f.base+"/me", nil)
	req.Header.Set("Authorization", "bearer "+tok) // the scheme is case-insensitive
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("/me: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if got := f.userinfo(t, ""); got.status != 401 || got.header.Get("WWW-Authenticate") != `Bearer realm="oauthtest"` {
		t.Fatalf("no token: %d %v", got.status, got.header)
	}
	if got := f.userinfo(t, "made-up"); got.status != 401 || !strings.Contains(got.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("unknown token: %d %v", got.status, got.header)
	}
	f.clock.advance(time.Hour)
	if got := f.userinfo(t, tok); got.status != 401 || !strings.Contains(got.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("expired token: %d %v", got.status, got.header)
	}
}

func TestFaults(t *testing.T) {
	f := setup(t, Options{AutoApprove: true})
	cc := url.Values{"grant_type": {"client_credentials"}}
	f.s.SetFault(Fail500)
	if got := f.post(t, "machine", "machine-secret", cc); got.status != 500 {
		t.Fatalf("Fail500: %d", got.status)
	}
	f.s.SetFault(Throttle)
	f.s.SetRetryAfter(7)
	if got := f.post(t, "machine", "machine-secret", cc); got.status != 429 || got.header.Get("Retry-After") != "7" {
		t.Fatalf("Throttle: %d %v", got.status, got.header)
	}
	f.s.SetFault(Malformed)
	req, _ := http.NewRequest("POST", f.base+"/token", strings.NewReader(cc.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("machine", "machine-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || json.Valid(raw) {
		t.Fatalf("Malformed: %d %s", resp.StatusCode, raw)
	}
	f.s.SetFault(Hang)
	c := &http.Client{Timeout: 200 * time.Millisecond}
	if _, err := c.Get(f.base + "/userinfo"); err == nil {
		t.Fatal("Hang answered")
	}
	// The consent page is a person's, and never misbehaves.
	if resp := f.authorize(t, url.Values{"response_type": {"code"}, "client_id": {"web"}, "redirect_uri": {callback}}); resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize under a fault: %d", resp.StatusCode)
	}
	f.s.SetFault(NoFault)
	if got := f.post(t, "machine", "machine-secret", cc); got.status != 200 {
		t.Fatalf("after NoFault: %d", got.status)
	}
}

// RFC 7523 client authentication: the assertion is checked for signature,
// issuer, subject, audience, expiry and replay.
func TestPrivateKeyJWT(t *testing.T) {
	f := setup(t, Options{})
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ec256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	f.s.AddClient(Client{ID: "signed", AuthMethod: PrivateKeyJWT, ClientCredentials: true, PublicKeys: []crypto.PublicKey{&rsaKey.PublicKey, &ec384.PublicKey}})

	f.s.AddClient(Client{ID: "jwks", AuthMethod: PrivateKeyJWT, ClientCredentials: true, JWKSURL: jwksServer(t, "k1", ec256)})

	n := 0
	claims := func(iss string, change func(jwt.MapClaims)) jwt.MapClaims {
		n++
		c := jwt.MapClaims{"iss": iss, "sub": iss, "aud": f.s.TokenURL(), "exp": f.clock.t.Add(time.Minute).Unix(),
			"iat": f.clock.t.Unix(), "jti": "jti-" + string(rune('a'+n))}
		if change != nil {
			change(c)
		}
		return c
	}
	sign := func(m jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
		tok := jwt.NewWithClaims(m, c)
		if kid != "" {
			tok.Header["kid"] = kid
		}
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	form := func(assertion string) url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {assertionType}, "client_assertion": {assertion}}
	}
	replayed := sign(jwt.SigningMethodRS256, rsaKey, "", claims("signed", nil))
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		errStr string
	}{
		{"RS256, registered key", form(replayed), 200, ""},
		{"RS384", form(sign(jwt.SigningMethodRS384, rsaKey, "", claims("signed", nil))), 200, ""},
		{"ES384", form(sign(jwt.SigningMethodES384, ec384, "", claims("signed", nil))), 200, ""},
		{"ES256 from the JWKS URL", form(sign(jwt.SigningMethodES256, ec256, "k1", claims("jwks", nil))), 200, ""},
		{"replayed jti", form(replayed), 401, "invalid_client"},
		{"another key", form(sign(jwt.SigningMethodES256, other, "k1", claims("jwks", nil))), 401, "invalid_client"},
		{"HS256 with the public key's bytes", form(sign(jwt.SigningMethodHS256, []byte("secret"), "", claims("signed", nil))), 401, "invalid_client"},
		{"sub differs", form(sign(jwt.SigningMethodRS256, rsaKey, "", claims("signed", func(c jwt.MapClaims) { c["sub"] = "someone" }))), 401, "invalid_client"},
		{"aud is not the token URL", form(sign(jwt.SigningMethodRS256, rsaKey, "", claims("signed", func(c jwt.MapClaims) { c["aud"] = f.base }))), 401, "invalid_client"},
		{"expired", form(sign(jwt.SigningMethodRS256, rsaKey, "", claims("signed", func(c jwt.MapClaims) { c["exp"] = f.clock.t.Add(-time.Second).Unix() }))), 401, "invalid_client"},
		{"no jti", form(sign(jwt.SigningMethodRS256, rsaKey, "", claims("signed", func(c jwt.MapClaims) { delete(c, "jti") }))), 401, "invalid_client"},
		{"unknown issuer", form(sign(jwt.SigningMethodRS256, rsaKey, "", claims("web", nil))), 401, "invalid_client"},
		{"wrong assertion type", func() url.Values {
			v := form(sign(jwt.SigningMethodRS256, rsaKey, "", claims("signed", nil)))
			v.Set("client_assertion_type", "jwt")
			return v
		}(), 400, "invalid_request"},
		{"secret instead of assertion", url.Values{"grant_type": {"client_credentials"}, "client_id": {"signed"}, "client_secret": {""}}, 401, "invalid_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := f.post(t, "", "", tc.form)
			if a.status != tc.status || a.str("error") != tc.errStr {
				t.Fatalf("got %d %v, want %d %q", a.status, a.body, tc.status, tc.errStr)
			}
		})
	}
}

// jwksServer publishes key's public half under kid, as the console's JWKS
// URL does.
func jwksServer(t *testing.T, kid string, key *ecdsa.PrivateKey) string {
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		b, _ := key.PublicKey.Bytes() // uncompressed point: 0x04 || X || Y
		enc := base64.RawURLEncoding.EncodeToString
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "EC", "crv": "P-256", "kid": kid, "x": enc(b[1:33]), "y": enc(b[33:])}}})
	}))
	t.Cleanup(jwks.Close)
	return jwks.URL
}

// A person pastes the console's JWKS URL into the service's app settings
// (the emulator's /dashboard/jwks), and the key pair tokendesk keeps then
// authenticates the client.
func TestDashboardRegistersAJWKSURL(t *testing.T) {
	f := setup(t, Options{})
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	f.s.AddClient(Client{ID: "later", AuthMethod: PrivateKeyJWT, ClientCredentials: true})
	n := 0
	obtain := func() answer {
		n++
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"iss": "later", "sub": "later", "aud": f.s.TokenURL(),
			"exp": f.clock.t.Add(time.Minute).Unix(), "jti": strings.Repeat("j", n)})
		tok.Header["kid"] = "console-key"
		assertion, _ := tok.SignedString(key)
		return f.post(t, "", "", url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {assertionType}, "client_assertion": {assertion}})
	}
	if got := obtain(); got.status != 401 || got.str("error") != "invalid_client" {
		t.Fatalf("before the JWKS URL is registered: %d %v", got.status, got.body)
	}
	resp, err := http.Get(f.base + "/dashboard/jwks")
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	if doc.Find(`label[for=client_id]`).Text() != "Client ID" || doc.Find(`label[for=jwks_url]`).Text() != "JWKS URL" {
		t.Fatal("the dashboard form has no labelled Client ID and JWKS URL")
	}
	for _, tc := range []struct {
		name, client, jwks string
		status             int
	}{
		{"not a URL", "later", "keys.json", 400},
		{"not a private_key_jwt client", "web", jwksServer(t, "console-key", key), 400},
		{"registered", "later", jwksServer(t, "console-key", key), 200},
	} {
		resp, err := http.PostForm(f.base+"/dashboard/jwks", url.Values{"client_id": {tc.client}, "jwks_url": {tc.jwks}})
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := goquery.NewDocumentFromReader(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || (tc.status == 200) != (doc.Find(`[data-testid=jwks-registered]`).Length() == 1) {
			t.Fatalf("%s: %d", tc.name, resp.StatusCode)
		}
	}
	if got := obtain(); got.status != 200 || got.str("access_token") == "" {
		t.Fatalf("after the JWKS URL is registered: %d %v", got.status, got.body)
	}
}
