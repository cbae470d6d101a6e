// Package oidctest is an OpenID Connect identity provider for tests and
// `tokendesk emulate`: discovery, a JWKS with one RS256 key, an
// authorization endpoint whose consent page lists the configured people
// (plain HTML forms, no script), and a token endpoint. It is as strict as
// the real ones: redirect_uri must match exactly, PKCE (S256) is
// required, a code is single-use and good for a minute, and the client
// authenticates with client_secret_basic or client_secret_post.
//
// Tests reach the attacks through Tamper, which changes the next ID
// token's claims (another audience or issuer, an expiry in the past, a
// wrong nonce), and SignNextWithStrangerKey.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// User is a person the provider can sign in.
type User struct {
	Subject string
	Email   string
	Name    string
	Groups  []string
}

// Client is an application registered with the provider.
type Client struct {
	ID           string
	Secret       string
	RedirectURIs []string
}

type grant struct {
	client, redirect, challenge, nonce string
	user                               User
	expires                            time.Time
	used                               bool
}

// Server is the identity provider.
type Server struct {
	mu       sync.Mutex
	base     string
	key      *rsa.PrivateKey
	stranger *rsa.PrivateKey
	kid      string
	now      func() time.Time
	clients  map[string]Client
	users    []User
	codes    map[string]*grant
	tamper   []func(claims jwt.MapClaims)
	badSign  bool
	// Tokens counts the token endpoint's successful answers.
	Tokens int
}

// CodeTTL is how long an authorization code is good for.
const CodeTTL = time.Minute

// New returns a provider with no clients and no people; SetBaseURL
// names where it is served (its issuer).
func New() *Server {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	stranger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return &Server{key: key, stranger: stranger, kid: "emulator-key-1", now: time.Now, clients: map[string]Client{}, codes: map[string]*grant{}}
}

// Start serves a new provider for a test.
func Start(tb interface{ Cleanup(func()) }) (*Server, string) {
	s := New()
	hs := httptest.NewServer(s)
	s.SetBaseURL(hs.URL)
	tb.Cleanup(hs.Close)
	return s, hs.URL
}

// SetBaseURL names the issuer: every URL in discovery starts with it.
func (s *Server) SetBaseURL(base string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.base = strings.TrimSuffix(base, "/")
}

// Issuer is the provider's issuer identifier.
func (s *Server) Issuer() string { s.mu.Lock(); defer s.mu.Unlock(); return s.base }

// SetClock replaces the provider's clock.
func (s *Server) SetClock(now func() time.Time) { s.mu.Lock(); s.now = now; s.mu.Unlock() }

// AddClient registers an application.
func (s *Server) AddClient(c Client) *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[c.ID] = c
	return s
}

// AddUser adds a person to the consent page.
func (s *Server) AddUser(u User) *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users = slices.DeleteFunc(s.users, func(o User) bool { return o.Subject == u.Subject })
	s.users = append(s.users, u)
	return s
}

// Tamper changes the claims of the next ID token issued.
func (s *Server) Tamper(f func(claims jwt.MapClaims)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tamper = append(s.tamper, f)
}

// SignNextWithStrangerKey signs the next ID token with a key the JWKS
// does not publish.
func (s *Server) SignNextWithStrangerKey() { s.mu.Lock(); s.badSign = true; s.mu.Unlock() }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		s.discovery(w)
	case "/jwks":
		s.jwks(w)
	case "/authorize":
		s.authorize(w, r)
	case "/token":
		s.token(w, r)
	default:
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) discovery(w http.ResponseWriter) {
	base := s.Issuer()
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                base,
		"authorization_endpoint":                base + "/authorize",
		"token_endpoint":                        base + "/token",
		"jwks_uri":                              base + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "email", "profile", "groups"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name", "groups"},
	})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (s *Server) jwks(w http.ResponseWriter) {
	pub := s.key.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": s.kid,
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// authRequest is a checked authorization request.
type authRequest struct {
	client                                   Client
	redirect, state, nonce, challenge, scope string
}

// checkAuthorize reads an authorization request. Problems with the
// client or redirect_uri are shown here (redirecting to an unchecked URI
// would be an open redirect); the others go back to the client.
func (s *Server) checkAuthorize(q url.Values) (authRequest, string, url.Values) {
	s.mu.Lock()
	c, ok := s.clients[q.Get("client_id")]
	s.mu.Unlock()
	if !ok {
		return authRequest{}, "Unknown client_id.", nil
	}
	ar := authRequest{client: c, redirect: q.Get("redirect_uri"), state: q.Get("state"), nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), scope: q.Get("scope")}
	if !slices.Contains(c.RedirectURIs, ar.redirect) {
		return ar, "redirect_uri " + strconv.Quote(ar.redirect) + " is not registered for this application.", nil
	}
	fail := func(code, desc string) (authRequest, string, url.Values) {
		v := url.Values{"error": {code}, "error_description": {desc}}
		if ar.state != "" {
			v.Set("state", ar.state)
		}
		return ar, "", v
	}
	switch {
	case q.Get("response_type") != "code":
		return fail("unsupported_response_type", "only response_type=code")
	case !slices.Contains(strings.Fields(ar.scope), "openid"):
		return fail("invalid_scope", "the openid scope is required")
	case ar.challenge == "" || q.Get("code_challenge_method") != "S256":
		return fail("invalid_request", "PKCE with code_challenge_method=S256 is required")
	}
	return ar, "", nil
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in – identity provider emulator</title></head>
<body>
<h1>Sign in to {{.Client}}</h1>
<p>This is tokendesk's OpenID Connect emulator. Choose who signs in:</p>
{{range $i, $u := .Users}}
<form method="post" action="/authorize">
{{range $k, $v := $.Params}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
<input type="hidden" name="user" value="{{$u.Subject}}">
<button type="submit" data-testid="idp-user-{{$u.Subject}}">Continue as {{$u.Email}}</button>
groups: {{if $u.Groups}}{{range $j, $g := $u.Groups}}{{if $j}}, {{end}}{{$g}}{{end}}{{else}}none{{end}}
</form>
{{end}}
<form method="post" action="/authorize">
{{range $k, $v := $.Params}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
<button type="submit" name="deny" value="1" data-testid="idp-deny">Cancel</button>
</form>
</body></html>`))

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	ar, page, back := s.checkAuthorize(r.Form)
	if page != "" {
		http.Error(w, page, http.StatusBadRequest)
		return
	}
	if back != nil {
		http.Redirect(w, r, ar.redirect+"?"+back.Encode(), http.StatusFound)
		return
	}
	if r.Method == http.MethodGet {
		s.mu.Lock()
		users := slices.Clone(s.users)
		s.mu.Unlock()
		params := map[string]string{}
		for _, k := range []string{"client_id", "redirect_uri", "state", "nonce", "code_challenge", "code_challenge_method", "scope", "response_type"} {
			params[k] = r.Form.Get(k)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		consentPage.Execute(w, map[string]any{"Client": ar.client.ID, "Users": users, "Params": params})
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	back = url.Values{}
	if ar.state != "" {
		back.Set("state", ar.state)
	}
	if r.PostForm.Get("deny") != "" {
		back.Set("error", "access_denied")
		back.Set("error_description", "The person cancelled the sign-in.")
		http.Redirect(w, r, ar.redirect+"?"+back.Encode(), http.StatusFound)
		return
	}
	s.mu.Lock()
	i := slices.IndexFunc(s.users, func(u User) bool { return u.Subject == r.PostForm.Get("user") })
	if i < 0 {
		s.mu.Unlock()
		http.Error(w, "unknown user", http.StatusBadRequest)
		return
	}
	code := randomString()
	s.codes[code] = &grant{client: ar.client.ID, redirect: ar.redirect, challenge: ar.challenge, nonce: ar.nonce, user: s.users[i], expires: s.now().Add(CodeTTL)}
	iss := s.base
	s.mu.Unlock()
	back.Set("code", code)
	back.Set("iss", iss)
	http.Redirect(w, r, ar.redirect+"?"+back.Encode(), http.StatusFound)
}

func randomString() string {
	b := make([]byte, 24)
	rand.Read(b)
	return b64(b)
}

func tokenError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		tokenError(w, http.StatusMethodNotAllowed, "invalid_request", "POST only")
		return
	}
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "unreadable form")
		return
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 2.3.1: the credentials are form-encoded inside Basic.
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok || subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="emulator"`)
		tokenError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "only authorization_code")
		return
	}
	g, ok := s.codes[r.PostForm.Get("code")]
	switch {
	case !ok || g.client != id:
		tokenError(w, http.StatusBadRequest, "invalid_grant", "unknown code")
		return
	case g.used:
		tokenError(w, http.StatusBadRequest, "invalid_grant", "code already used")
		return
	case !s.now().Before(g.expires):
		tokenError(w, http.StatusBadRequest, "invalid_grant", "code expired")
		return
	case r.PostForm.Get("redirect_uri") != g.redirect:
		tokenError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request")
		return
	}
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if r.PostForm.Get("code_verifier") == "" || b64(sum[:]) != g.challenge {
		tokenError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
		return
	}
	g.used = true
	now := s.now()
	claims := jwt.MapClaims{
		"iss": s.base, "sub": g.user.Subject, "aud": id, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"email": g.user.Email, "email_verified": true, "name": g.user.Name, "groups": append([]string{}, g.user.Groups...),
	}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	for _, f := range s.tamper {
		f(claims)
	}
	s.tamper = nil
	key := s.key
	if s.badSign {
		key, s.badSign = s.stranger, false
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = s.kid
	idToken, err := tok.SignedString(key)
	if err != nil {
		tokenError(w, http.StatusInternalServerError, "server_error", fmt.Sprint(err))
		return
	}
	s.Tokens++
	writeJSON(w, http.StatusOK, map[string]any{"access_token": randomString(), "token_type": "Bearer", "expires_in": 3600, "id_token": idToken, "scope": "openid email profile"})
}
