// Package redoxtest is a faithful emulator of Redox's legacy API-key
// authentication, its OAuth 2.0 signed-JWT token endpoint (/v2/auth/token)
// and Data Model endpoint, built from docs/provider-apis.md (Redox). It is strict about the documented request shape, so a client
// that passes against it speaks the real wire format.
package redoxtest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"github.com/tokendesk/tokendesk/internal/provider/faults"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Fault makes the emulator misbehave the way real services do.
type Fault = faults.Fault

// Faults.
const (
	NoFault   = faults.None
	Fail500   = faults.Fail500   // every call answers HTTP 500
	Hang      = faults.Hang      // every call waits until the client gives up
	Malformed = faults.Malformed // token answers are not valid JSON
	Throttle  = faults.Throttle  // every call answers 429 with Retry-After
)

// Server is the emulator. Its zero value is not usable; call New.
type Server struct {
	mu      sync.Mutex
	now     func() time.Time
	ttl     time.Duration
	faults  faults.Switch
	keys    map[string]string // apiKey → secret
	revoked map[string]bool
	access  map[string]grant  // accessToken → grant
	refresh map[string]string // refreshToken → apiKey
	calls   map[string]int    // path → calls
	latency time.Duration
	// singleUse makes a refresh token work once (undocumented; off by default).
	singleUse bool
	// OAuth 2.0 (Source Auth v2): verification keys by client ID and kid,
	// and the jti values already used.
	oauthKeys map[[2]string]any
	jwksURLs  map[string]string // client ID → JWKS URL registered in the "dashboard"
	jtis      map[string]bool
	baseURL   string
}

type grant struct {
	apiKey  string
	expires time.Time
}

// New returns an emulator knowing no keys, with Redox's 24-hour token lifetime.
func New() *Server {
	return &Server{
		now: time.Now, ttl: 24 * time.Hour,
		keys: map[string]string{}, revoked: map[string]bool{},
		access: map[string]grant{}, refresh: map[string]string{}, calls: map[string]int{},
	}
}

// AddKey registers a legacy API key and its source secret.
func (s *Server) AddKey(apiKey, secret string) *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[apiKey] = secret
	delete(s.revoked, apiKey)
	return s
}

// Revoke makes every call with apiKey (and its tokens) fail with 401.
func (s *Server) Revoke(apiKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked[apiKey] = true
}

// SetSingleUseRefresh makes each refresh token work only once. Redox does
// not document whether a used one stays valid, so it does by default.
func (s *Server) SetSingleUseRefresh(on bool) { s.mu.Lock(); s.singleUse = on; s.mu.Unlock() }

// SetClock injects the emulator's clock.
func (s *Server) SetClock(now func() time.Time) { s.mu.Lock(); s.now = now; s.mu.Unlock() }

// SetTTL changes the lifetime of issued access tokens.
func (s *Server) SetTTL(d time.Duration) { s.mu.Lock(); s.ttl = d; s.mu.Unlock() }

// SetBaseURL fixes the URL the emulator is reached at (the aud it expects);
// by default it is taken from the request's Host.
func (s *Server) SetBaseURL(u string) {
	s.mu.Lock()
	s.baseURL = strings.TrimRight(u, "/")
	s.mu.Unlock()
}

// SetLatency makes every answer take at least d (benchmarks).
func (s *Server) SetLatency(d time.Duration) { s.mu.Lock(); s.latency = d; s.mu.Unlock() }

// SetRetryAfter sets the Retry-After, in seconds, of the Throttle fault.
func (s *Server) SetRetryAfter(seconds int) { s.faults.SetRetryAfter(seconds) }

// SetFault switches a fault mode on (NoFault switches it off).
func (s *Server) SetFault(f Fault) { s.faults.Set(f) }

// Calls reports how many requests reached path.
func (s *Server) Calls(path string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.calls[path] }

// KeyOf reports which API key an access token was issued to ("" if none).
func (s *Server) KeyOf(accessToken string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.access[accessToken].apiKey
}

// Close releases requests held by the Hang fault.
func (s *Server) Close() { s.faults.Close() }

// Start serves the emulator on a loopback port until the test ends.
func Start(tb interface {
	Cleanup(func())
}) (*Server, string) {
	s := New()
	hs := httptest.NewServer(s)
	tb.Cleanup(func() { s.Close(); hs.Close() })
	return s, hs.URL
}

// ServeHTTP implements the documented endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls[r.URL.Path]++
	fault, latency := s.faults.Current(), s.latency
	s.mu.Unlock()
	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return
		}
	}

	switch fault {
	case Fail500:
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	case Hang:
		s.faults.Wait(r)
		return
	case Throttle:
		// Redox: 10,000 requests per 5 minutes per IP, rolling window.
		w.Header().Set("X-RateLimit-Limit", "10000")
		w.Header().Set("Retry-After", s.faults.RetryAfter())
		http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
		return
	}
	switch r.URL.Path {
	case "/auth/authenticate":
		s.authenticate(w, r, fault)
	case "/auth/refreshToken":
		s.refreshToken(w, r, fault)
	case "/v2/auth/token":
		s.oauthToken(w, r, fault)
	case "/dashboard/jwks":
		s.dashboardJWKS(w, r)
	case "/endpoint", "/query":
		s.endpoint(w, r)
	default:
		http.NotFound(w, r)
	}
}

// invalid is Redox's answer to a rejected login: 401, plain text.
func invalid(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusUnauthorized)
	io.WriteString(w, "Invalid request")
}

// decode reads a JSON body with exactly the documented fields.
func decode(w http.ResponseWriter, r *http.Request, dst any) bool {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return false
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		http.Error(w, "Invalid request", http.StatusBadRequest)
		return false
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		http.Error(w, "Invalid request", http.StatusBadRequest)
		return false
	}
	return true
}

func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, fault Fault) {
	var req struct {
		APIKey string `json:"apiKey"`
		Secret string `json:"secret"`
	}
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	secret, ok := s.keys[req.APIKey]
	ok = ok && req.Secret != "" && secret == req.Secret && !s.revoked[req.APIKey]
	s.mu.Unlock()
	if !ok {
		invalid(w)
		return
	}
	s.issue(w, req.APIKey, fault)
}

func (s *Server) refreshToken(w http.ResponseWriter, r *http.Request, fault Fault) {
	var req struct {
		APIKey       string `json:"apiKey"`
		RefreshToken string `json:"refreshToken"`
	}
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	owner, ok := s.refresh[req.RefreshToken]
	ok = ok && owner == req.APIKey && !s.revoked[req.APIKey]
	if ok && s.singleUse {
		delete(s.refresh, req.RefreshToken)
	}
	s.mu.Unlock()
	if !ok {
		invalid(w)
		return
	}
	s.issue(w, req.APIKey, fault)
}

func (s *Server) issue(w http.ResponseWriter, apiKey string, fault Fault) {
	s.mu.Lock()
	access, refresh := uuid(), uuid()
	expires := s.now().Add(s.ttl).UTC()
	s.access[access] = grant{apiKey: apiKey, expires: expires}
	s.refresh[refresh] = apiKey
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if fault == Malformed {
		io.WriteString(w, `{"accessToken": "`+access+`", "expires": `)
		return
	}
	json.NewEncoder(w).Encode(map[string]string{
		"accessToken":  access,
		"expires":      expires.Format("2006-01-02T15:04:05.000Z"),
		"refreshToken": refresh,
	})
}

// endpoint is the Data Model API: a valid bearer token gets Meta echoed
// back with Logs; an empty Destinations list gets Meta.Errors.
func (s *Server) endpoint(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	g, known := s.access[tok]
	valid := ok && known && s.now().Before(g.expires) && !s.revoked[g.apiKey]
	s.mu.Unlock()
	if !valid {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	var body struct {
		Meta map[string]any `json:"Meta"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil || body.Meta == nil {
		http.Error(w, "Invalid request", http.StatusBadRequest)
		return
	}
	if d, _ := body.Meta["Destinations"].([]any); len(d) == 0 {
		body.Meta["Errors"] = []map[string]any{{"ID": 19511136, "Text": "No subscriptions exist for this source and data model.", "Type": "message", "Module": "Subscriptions"}}
	}
	body.Meta["Logs"] = []map[string]any{{"ID": "d9f5d293-7110-461e-a875-3beb089e79f3", "AttemptID": "925d1617-2fe0-468c-a14c-f8c04b572c54"}}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(body)
}

func uuid() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
