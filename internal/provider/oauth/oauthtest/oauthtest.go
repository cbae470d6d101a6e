// Package oauthtest is an OAuth 2.0 authorization server emulator built
// from RFC 6749 (authorization code §4.1, client credentials §4.4,
// refresh §6, errors §4.1.2.1 and §5.2), RFC 7636 (PKCE, S256 only),
// RFC 7523 (private_key_jwt client authentication) and RFC 6750 (a bearer
// protected resource), as docs/provider-apis.md (Generic OAuth 2.0) sums them up. It is
// strict where the RFCs say MUST, so a client proven against it works
// against a real server, and it has the knobs tests need: an injected
// clock, lifetimes, single-use (rotating) refresh tokens, revocation,
// counters and the faults the other emulators share.
//
// Endpoints, under the server's root:
//
//	GET  /authorize           consent page (or an immediate redirect with AutoApprove)
//	POST /authorize/decision  the consent page's Allow / Deny
//	POST /token               authorization_code, refresh_token, client_credentials
//	GET  /userinfo (and /me)  a small JSON user for a valid bearer token
//	GET, POST /dashboard/jwks a form that sets a private_key_jwt client's JWKS URL, as a
//	                          service's app settings page does
package oauthtest

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider/faults"
)

// Fault makes the emulator misbehave the way real services do.
type Fault = faults.Fault

// Faults. They apply to the back-channel endpoints (/token, /userinfo);
// the consent page, which a person's browser shows, always answers.
const (
	NoFault   = faults.None
	Fail500   = faults.Fail500   // every call answers HTTP 500
	Hang      = faults.Hang      // every call waits until the client gives up
	Throttle  = faults.Throttle  // every call answers 429 with Retry-After
	Malformed = faults.Malformed // successful answers are not valid JSON
)

// Client authentication methods (the token_endpoint_auth_method values of
// RFC 7591 §2).
const (
	ClientSecretBasic = "client_secret_basic"
	ClientSecretPost  = "client_secret_post"
	PrivateKeyJWT     = "private_key_jwt"
)

// Options configure a Server. The zero value is usable: real clock,
// one-hour access tokens, refresh tokens that never expire and are single
// use (each refresh returns a new one, as Zoom's do), consent page shown.
type Options struct {
	Clock      func() time.Time // default time.Now
	AccessTTL  time.Duration    // default one hour
	RefreshTTL time.Duration    // 0: refresh tokens never expire; otherwise answers carry refresh_token_expires_in
	// RefreshReusable keeps a refresh token valid after use, and a refresh
	// then answers without a new refresh_token (as Google does). The zero
	// value is the default the brief asks for, RefreshSingleUse: every
	// refresh returns a new refresh token and the used one answers
	// invalid_grant afterwards.
	RefreshReusable bool
	// RefreshSingleUse spells the default out; when true it wins over
	// RefreshReusable.
	RefreshSingleUse bool
	AutoApprove      bool           // /authorize redirects back at once instead of showing the consent page
	Extra            map[string]any // extra fields in every token answer (instance_url, api_url, …)
	User             User           // whom the consent is given as; a demo user by default
	// NoExpiresIn leaves expires_in out of token answers, as Salesforce
	// does: the lifetime is only learnt by introspection.
	NoExpiresIn bool
	// ReuseRevokesGrant: presenting a refresh token already spent revokes
	// the whole grant, its access tokens included (Salesforce's rotation,
	// RFC 9700 §4.14.2).
	ReuseRevokesGrant bool
	// Entra, when set, makes the server behave as Microsoft Entra ID.
	Entra *Entra
	// Vendor, when set, makes the server behave as one catalogue service
	// (vendor.go); Vendor.Options sets the rest to match.
	Vendor *Vendor
}

// User is the resource owner /userinfo describes.
type User struct {
	Sub   string `json:"sub"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Client is a registered client.
type Client struct {
	ID           string
	Secret       string
	Name         string   // shown on the consent page; the ID when empty
	RedirectURIs []string // matched exactly
	AuthMethod   string   // ClientSecretBasic (default), ClientSecretPost or PrivateKeyJWT
	// For PrivateKeyJWT: the keys an assertion may be signed with
	// (*rsa.PublicKey, *ecdsa.PublicKey), and/or a JWKS URL read when an
	// assertion's kid is not known yet.
	PublicKeys        []crypto.PublicKey
	JWKSURL           string
	Scopes            []string // allowed scopes; empty means any
	ClientCredentials bool     // may use the client_credentials grant
	// AssertionAlg is the one algorithm the client's assertions may use
	// (token_endpoint_auth_signing_alg); others are refused with "alg
	// mismatch". Empty: any the server supports.
	AssertionAlg string
	// Certificates are the X.509 certificates uploaded for the client
	// (Entra's certificate credentials).
	Certificates []*x509.Certificate
}

// grant is one consent (or one client_credentials issue): every token
// issued under it dies with it.
type grant struct {
	clientID string
	scope    string
	revoked  bool
	// noRefresh: the consent gives no refresh token (a vendor's offline
	// parameter or scope was missing).
	noRefresh bool
}

type code struct {
	grant       *grant
	clientID    string
	redirectURI string // as sent to /authorize ("" when it was left out)
	challenge   string
	expires     time.Time
	used        bool
}

type accessToken struct {
	grant   *grant
	scope   string
	issued  time.Time
	expires time.Time
}

type refreshToken struct {
	grant   *grant
	scope   string
	expires time.Time // zero: never
	used    bool
}

// pending is a consent page waiting for Allow or Deny.
type pending struct {
	clientID, redirectURI, scope, state, challenge string
	expires                                        time.Time
	noRefresh                                      bool
}

// Server is the emulator; create it with New.
type Server struct {
	mu        sync.Mutex
	opts      Options
	baseURL   string
	faults    faults.Switch
	clients   map[string]*Client
	codes     map[string]*code
	access    map[string]*accessToken
	refresh   map[string]*refreshToken
	pending   map[string]*pending
	jtis      map[string]bool
	jwks      map[string]map[string]crypto.PublicKey // client id → kid → key, read from its JWKS URL
	issued    int
	refreshes int
	// refreshErr is the error every refresh answers (SetRefreshError).
	refreshErr [2]string
}

// New returns an emulator configured by opts.
func New(opts Options) *Server {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.RefreshSingleUse {
		opts.RefreshReusable = false
	}
	if opts.AccessTTL == 0 {
		opts.AccessTTL = time.Hour
	}
	if opts.User.Sub == "" {
		opts.User = User{Sub: "user-1", Name: "Demo User", Email: "demo.user@oauth.example"}
	}
	return &Server{
		opts: opts, clients: map[string]*Client{}, codes: map[string]*code{},
		access: map[string]*accessToken{}, refresh: map[string]*refreshToken{},
		pending: map[string]*pending{}, jtis: map[string]bool{}, jwks: map[string]map[string]crypto.PublicKey{},
	}
}

// Start serves a new emulator on loopback until the test ends and returns
// it with its base URL (also set as the server's base URL).
func Start(tb interface{ Cleanup(func()) }, opts Options) (*Server, string) {
	s := New(opts)
	hs := httptest.NewServer(s)
	s.SetBaseURL(hs.URL)
	tb.Cleanup(func() { s.Close(); hs.Close() })
	return s, hs.URL
}

// SetBaseURL tells the emulator where it is served (the private_key_jwt
// audience is <base>/token). Without it the request's Host is used.
func (s *Server) SetBaseURL(u string) {
	s.mu.Lock()
	s.baseURL = strings.TrimSuffix(u, "/")
	s.mu.Unlock()
}

// AuthURL, TokenURL and UserinfoURL are the endpoints under the base URL.
func (s *Server) AuthURL() string     { return s.base(nil) + "/authorize" }
func (s *Server) TokenURL() string    { return s.base(nil) + "/token" }
func (s *Server) UserinfoURL() string { return s.base(nil) + "/userinfo" }

func (s *Server) base(r *http.Request) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.baseURL == "" && r != nil {
		return "http://" + r.Host
	}
	return s.baseURL
}

// AddClient registers a client (a later one with the same ID replaces it).
func (s *Server) AddClient(c Client) *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.AuthMethod == "" {
		c.AuthMethod = ClientSecretBasic
	}
	c.RedirectURIs = append([]string(nil), c.RedirectURIs...)
	c.Scopes = append([]string(nil), c.Scopes...)
	s.clients[c.ID] = &c
	return s
}

// SetJWKSURL sets the JWKS URL a private_key_jwt client's assertions are
// verified with, as pasting it into a service's app settings does. It
// reports whether clientID is a registered private_key_jwt client.
func (s *Server) SetJWKSURL(clientID, jwksURL string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[clientID]
	if !ok || c.AuthMethod != PrivateKeyJWT {
		return false
	}
	c.JWKSURL = jwksURL
	delete(s.jwks, clientID)
	return true
}

// RevokeGrant withdraws the consent a refresh token belongs to: it and
// every token issued under the same grant stop working, so the next
// refresh answers invalid_grant.
func (s *Server) RevokeGrant(refreshToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt, ok := s.refresh[refreshToken]; ok {
		rt.grant.revoked = true
	}
}

// RevokeClient withdraws every grant a client holds (it stays registered,
// so it can be authorized again).
func (s *Server) RevokeClient(clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.access {
		if t.grant.clientID == clientID {
			t.grant.revoked = true
		}
	}
	for _, t := range s.refresh {
		if t.grant.clientID == clientID {
			t.grant.revoked = true
		}
	}
	for _, c := range s.codes {
		if c.clientID == clientID {
			c.grant.revoked = true
		}
	}
}

// Issued is how many access tokens the emulator has issued.
func (s *Server) Issued() int { s.mu.Lock(); defer s.mu.Unlock(); return s.issued }

// Refreshes is how many refresh_token grants succeeded.
func (s *Server) Refreshes() int { s.mu.Lock(); defer s.mu.Unlock(); return s.refreshes }

// SetFault switches a fault on (NoFault switches it off).
func (s *Server) SetFault(f Fault) { s.faults.Set(f) }

// SetRetryAfter sets the Retry-After, in seconds, of the Throttle fault.
func (s *Server) SetRetryAfter(seconds int) { s.faults.SetRetryAfter(seconds) }

// SetClock replaces the clock (tests move time forward with it).
func (s *Server) SetClock(now func() time.Time) { s.mu.Lock(); s.opts.Clock = now; s.mu.Unlock() }

// SetRefreshSingleUse switches refresh token rotation on or off.
func (s *Server) SetRefreshSingleUse(on bool) {
	s.mu.Lock()
	s.opts.RefreshReusable = !on
	s.mu.Unlock()
}

// Close releases requests held by the Hang fault.
func (s *Server) Close() { s.faults.Close() }

// ServeHTTP routes to the endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r, ok := s.entraRoute(w, r)
	if !ok {
		return
	}
	if r, ok = s.vendorRoute(w, r); !ok {
		return
	}
	vendor := vendorPaths[r.URL.Path]
	switch r.URL.Path {
	case "/authorize":
		s.authorize(w, r)
		return
	case "/authorize/decision":
		s.decide(w, r)
		return
	case "/dashboard/jwks":
		s.dashboardJWKS(w, r)
		return
	case "/token", "/userinfo", "/me":
	default:
		if vendor == "" {
			http.NotFound(w, r)
			return
		}
	}
	fault := s.faults.Current()
	switch fault {
	case Fail500:
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error", "error_description": "Internal Server Error"})
		return
	case Hang:
		s.faults.Wait(r)
		return
	case Throttle:
		w.Header().Set("Retry-After", s.faults.RetryAfter())
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "temporarily_unavailable", "error_description": "Too many requests: retry later"})
		return
	}
	switch {
	case r.URL.Path == "/token":
		s.token(w, r, fault)
	case vendor == "introspect":
		s.introspect(w, r)
	default:
		s.userinfo(w, r, fault)
	}
}

func (s *Server) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts.Clock()
}

func randomToken(prefix string) string {
	b := make([]byte, 24)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// allowed reports whether every scope in the space-separated list is one
// the client may ask for.
func (c *Client) allowed(scope string) bool {
	if len(c.Scopes) == 0 {
		return true
	}
	for _, sc := range strings.Fields(scope) {
		ok := false
		for _, a := range c.Scopes {
			if a == sc {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// subset reports whether every scope of narrower is in wider.
func subset(narrower, wider string) bool {
	have := map[string]bool{}
	for _, sc := range strings.Fields(wider) {
		have[sc] = true
	}
	for _, sc := range strings.Fields(narrower) {
		if !have[sc] {
			return false
		}
	}
	return true
}
