// Package zoomtest is a faithful emulator of Zoom's REST API users
// endpoints, its legacy JWT-app authentication, Server-to-Server OAuth and
// user-level OAuth (authorization code, rotating refresh tokens), built from
// docs/provider-apis.md (Zoom). It is strict about the
// documented shapes (HS256 only, Basic client credentials, the grant in the
// form body or query string), so clients are proven against the real format.
package zoomtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/tokendesk/tokendesk/internal/provider/faults"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Fault makes the emulator misbehave the way real services do.
type Fault = faults.Fault

// Faults.
const (
	NoFault   = faults.None
	Fail500   = faults.Fail500   // every call answers HTTP 500
	Hang      = faults.Hang      // every call waits until the client gives up
	Throttle  = faults.Throttle  // every call answers 429 with Retry-After
	Malformed = faults.Malformed // token answers are not valid JSON
)

// User is an account's user, as /v2/users/me answers it.
type User struct {
	ID        string `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	Type      int    `json:"type"`
	PMI       int64  `json:"pmi"`
	Timezone  string `json:"timezone"`
	Verified  int    `json:"verified"`
	CreatedAt string `json:"created_at"`
	AccountID string `json:"account_id"`
	Status    string `json:"status"`
	RoleName  string `json:"role_name"`
}

type s2sApp struct{ secret, accountID, scope string }

// DefaultScopes are granted to a Server-to-Server app unless SetScopes says otherwise.
const DefaultScopes = "user:read:admin meeting:write:admin"

type issued struct {
	clientID, accountID string
	scope               string
	expires             time.Time
	revoked             bool
}

// Server is the emulator; create it with New.
type Server struct {
	mu         sync.Mutex
	now        func() time.Time
	ttl        time.Duration
	faults     faults.Switch
	deprecated bool
	invalidate bool
	baseURL    string
	users      map[string]User   // account id → its user
	jwtApps    map[string]string // API key → API secret
	jwtAccount map[string]string // API key → account id
	s2s        map[string]s2sApp // client id → app
	tokens     map[string]*issued
	latest     map[string]string // client id → newest token
	userAuth                     // user-level OAuth apps (§2c), in userauth.go
}

// New returns an emulator with Zoom's one-hour token lifetime, as real Zoom
// is today: several Server-to-Server tokens of one app live at once, and
// every JWT app token is refused with code 124 (JWT apps were retired in
// 2023; SetDeprecated(false) brings them back for the documented screen).
func New() *Server {
	return &Server{
		now: time.Now, ttl: time.Hour, deprecated: true,
		users: map[string]User{}, jwtApps: map[string]string{}, jwtAccount: map[string]string{},
		s2s: map[string]s2sApp{}, tokens: map[string]*issued{}, latest: map[string]string{},
		userAuth: newUserAuth(),
	}
}

// Start serves a new emulator on loopback until the test ends.
func Start(tb interface{ Cleanup(func()) }) (*Server, string) {
	s := New()
	hs := httptest.NewServer(s)
	s.SetBaseURL(hs.URL)
	tb.Cleanup(func() { s.Close(); hs.Close() })
	return s, hs.URL
}

// AddAccount registers an account and the user its credentials act as.
func (s *Server) AddAccount(u User) *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.Status == "" {
		u.Status = "active"
	}
	if u.Type == 0 {
		u.Type = 2
	}
	s.users[u.AccountID] = u
	return s
}

// AddJWTApp registers a legacy JWT app's API Key and API Secret.
func (s *Server) AddJWTApp(accountID, apiKey, apiSecret string) *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jwtApps[apiKey], s.jwtAccount[apiKey] = apiSecret, accountID
	return s
}

// AddS2SApp registers a Server-to-Server OAuth app.
func (s *Server) AddS2SApp(accountID, clientID, clientSecret string) *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.s2s[clientID] = s2sApp{secret: clientSecret, accountID: accountID, scope: DefaultScopes}
	return s
}

// SetScopes changes the scopes a Server-to-Server app's tokens carry; one
// without a user:read scope gets 400 code 4711 from /v2/users/me.
func (s *Server) SetScopes(clientID, scope string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if app, ok := s.s2s[clientID]; ok {
		app.scope = scope
		s.s2s[clientID] = app
	}
	if app, ok := s.userApps[clientID]; ok {
		app.scope = scope
		s.userApps[clientID] = app
	}
}

// RevokeClient removes a Server-to-Server or user-level app and kills its
// tokens (a user-level app's refresh tokens then answer invalid_grant).
func (s *Server) RevokeClient(clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.s2s, clientID)
	delete(s.userApps, clientID)
	for _, rt := range s.refreshTokens {
		if rt.clientID == clientID {
			rt.revoked = true
		}
	}
	for _, t := range s.tokens {
		if t.clientID == clientID {
			t.revoked = true
		}
	}
}

// SetClock, SetTTL, SetFault, SetDeprecated (every JWT fails, as after
// September 2023), SetInvalidateOlder and SetBaseURL are test knobs.
func (s *Server) SetClock(now func() time.Time) { s.mu.Lock(); s.now = now; s.mu.Unlock() }
func (s *Server) SetTTL(d time.Duration)        { s.mu.Lock(); s.ttl = d; s.mu.Unlock() }
func (s *Server) SetFault(f Fault)              { s.faults.Set(f) }

// SetRetryAfter sets the Retry-After, in seconds, of the Throttle fault.
func (s *Server) SetRetryAfter(seconds int)  { s.faults.SetRetryAfter(seconds) }
func (s *Server) SetDeprecated(on bool)      { s.mu.Lock(); s.deprecated = on; s.mu.Unlock() }
func (s *Server) SetInvalidateOlder(on bool) { s.mu.Lock(); s.invalidate = on; s.mu.Unlock() }
func (s *Server) SetBaseURL(u string)        { s.mu.Lock(); s.baseURL = u; s.mu.Unlock() }

// Close releases requests held by the Hang fault.
func (s *Server) Close() { s.faults.Close() }

// ServeHTTP implements the documented endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/oauth/authorize" {
		// A person's browser shows the consent page: faults are for API clients.
		s.authorize(w, r)
		return
	}
	fault := s.faults.Current()
	switch fault {
	case Fail500:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"code": 500, "message": "Internal Server Error"})
		return
	case Hang:
		s.faults.Wait(r)
		return
	case Throttle:
		h := w.Header()
		h.Set("Retry-After", s.faults.RetryAfter())
		h.Set("X-RateLimit-Category", "Light")
		h.Set("X-RateLimit-Type", "QPS")
		h.Set("X-RateLimit-Limit", "30")
		h.Set("X-RateLimit-Remaining", "0")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"code": 429, "message": "You have reached the maximum per-second rate limit for this API. Try again later."})
		return
	}
	switch r.URL.Path {
	case "/oauth/token":
		s.oauthToken(w, r, fault)
	case "/v2/users/me":
		s.withUser(w, r, fault, func(u User) any { return u })
	case "/v2/users":
		s.withUser(w, r, fault, func(u User) any { return s.userList(r, u) })
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"code": 404, "message": "Not Found"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func oauthError(w http.ResponseWriter, errCode, reason string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"reason": reason, "error": errCode})
}

func (s *Server) oauthToken(w http.ResponseWriter, r *http.Request, fault Fault) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"code": 405, "message": "Method Not Allowed"})
		return
	}
	params := r.URL.Query()
	if r.ContentLength != 0 {
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			oauthError(w, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
			return
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		form, err := url.ParseQuery(string(body))
		if err != nil {
			oauthError(w, "invalid_request", "Malformed request body")
			return
		}
		for k, v := range form {
			params[k] = v
		}
	}
	clientID, secret, ok := r.BasicAuth()
	if !ok {
		oauthError(w, "invalid_client", "Invalid client_id or client_secret")
		return
	}
	switch gt := params.Get("grant_type"); gt {
	case "account_credentials":
	case "authorization_code", "refresh_token":
		s.userToken(w, params, clientID, secret, fault)
		return
	case "":
		oauthError(w, "invalid_request", "Missing grant_type")
		return
	default:
		oauthError(w, "unsupported_grant_type", "Unsupported grant type")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	app, known := s.s2s[clientID]
	if !known || app.secret != secret {
		oauthError(w, "invalid_client", "Invalid client_id or client_secret")
		return
	}
	if acc := params.Get("account_id"); acc == "" || acc != app.accountID {
		oauthError(w, "invalid_request", "Account does not exist")
		return
	}
	if s.invalidate {
		if old, ok := s.latest[clientID]; ok {
			s.tokens[old].revoked = true
		}
	}
	tok := newToken()
	s.tokens[tok] = &issued{clientID: clientID, accountID: app.accountID, scope: app.scope, expires: s.now().Add(s.ttl)}
	s.latest[clientID] = tok
	if fault == Malformed {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"`+tok+`","token_type":`)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "bearer", "expires_in": int(s.ttl / time.Second),
		"scope": app.scope, "api_url": s.baseURL,
	})
}

// account resolves a bearer token to its account, or says why it fails
// with Zoom's code-124 answers.
func (s *Server) account(r *http.Request) (string, string) {
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		bearer = r.URL.Query().Get("access_token")
	}
	if bearer == "" {
		return "", "Invalid access token."
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[bearer]; ok {
		switch {
		case t.revoked:
			return "", "Invalid access token."
		case !s.now().Before(t.expires):
			return "", "Access token is expired."
		}
		if !strings.Contains(t.scope, "user:read") {
			return "", missingScope
		}
		return t.accountID, ""
	}
	if s.deprecated {
		return "", "Invalid access token."
	}
	var iss string
	parsed, err := jwt.Parse(bearer, func(tok *jwt.Token) (any, error) {
		claims, _ := tok.Claims.(jwt.MapClaims)
		iss, _ = claims["iss"].(string)
		secret, ok := s.jwtApps[iss]
		if !ok {
			return nil, fmt.Errorf("unknown iss")
		}
		return []byte(secret), nil
	}, jwt.WithValidMethods([]string{"HS256"}), jwt.WithoutClaimsValidation())
	if err != nil || !parsed.Valid {
		return "", "Invalid access token."
	}
	claims := parsed.Claims.(jwt.MapClaims)
	exp, ok := claims["exp"].(float64)
	if !ok {
		return "", "Invalid access token."
	}
	if exp > 1e12 { // the docs' own example is in milliseconds
		exp /= 1000
	}
	if !s.now().Before(time.Unix(int64(exp), 0)) {
		return "", "Access token is expired."
	}
	return s.jwtAccount[iss], ""
}

// missingScope marks a valid token without user-read scopes.
const missingScope = "missing scope"

func (s *Server) withUser(w http.ResponseWriter, r *http.Request, fault Fault, answer func(User) any) {
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"code": 405, "message": "Method Not Allowed"})
		return
	}
	acc, problem := s.account(r)
	if problem == missingScope {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": 4711, "message": "Invalid access token, does not contain scopes:[user:read:user, user:read:user:admin]"})
		return
	}
	if problem != "" {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]any{"code": 124, "message": problem})
		return
	}
	s.mu.Lock()
	u, ok := s.users[acc]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"code": 1001, "message": "User does not exist."})
		return
	}
	if fault == Malformed {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":`)
		return
	}
	writeJSON(w, http.StatusOK, answer(u))
}

func (s *Server) userList(r *http.Request, u User) any {
	size, _ := strconv.Atoi(r.URL.Query().Get("page_size"))
	if size <= 0 || size > 300 {
		size = 30
	}
	return map[string]any{
		"page_count": 1, "page_number": 1, "page_size": size, "total_records": 1,
		"next_page_token": "", "users": []User{u},
	}
}

func newToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return "zs2s." + base64.RawURLEncoding.EncodeToString(b)
}
