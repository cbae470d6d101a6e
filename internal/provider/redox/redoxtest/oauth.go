package redoxtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// OAuthTTL is the lifetime of Redox's OAuth 2.0 access tokens.
const OAuthTTL = 5 * time.Minute

const (
	assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	errorURI      = "https://docs.redoxengine.com/troubleshooting/troubleshoot-oauth-api-key-errors/"
	skew          = 10 * time.Second
)

// AddOAuthKey registers a verification key for an OAuth API key's client
// ID under kid, as the Redox dashboard does: an *rsa.PublicKey (RS384), an
// *ecdsa.PublicKey (ES384) or a []byte shared secret (HS384).
func (s *Server) AddOAuthKey(clientID, kid string, key any) *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.oauthKeys == nil {
		s.oauthKeys = map[[2]string]any{}
	}
	s.oauthKeys[[2]string{clientID, kid}] = key
	return s
}

// RegisterJWKS registers every key of a JWKS document for clientID, as
// pasting a JWKS URL into the Redox dashboard does.
func (s *Server) RegisterJWKS(clientID string, jwks []byte) error {
	keys, err := parseJWKS(jwks)
	if err != nil {
		return err
	}
	for kid, k := range keys {
		s.AddOAuthKey(clientID, kid, k)
	}
	return nil
}

// RegisterJWKSURL registers a JWKS URL for clientID, as the Redox
// dashboard does: the emulator fetches it when an assertion names a kid it
// does not know yet, so keys published there later are found too.
func (s *Server) RegisterJWKSURL(clientID, jwksURL string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jwksURLs == nil {
		s.jwksURLs = map[string]string{}
	}
	s.jwksURLs[clientID] = jwksURL
}

// parseJWKS reads the public keys of a JWKS document by kid.
func parseJWKS(jwks []byte) (map[string]any, error) {
	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &doc); err != nil || len(doc.Keys) == 0 {
		return nil, fmt.Errorf("redoxtest: not a JWKS document")
	}
	num := func(v string) *big.Int {
		b, _ := base64.RawURLEncoding.DecodeString(v)
		return new(big.Int).SetBytes(b)
	}
	out := map[string]any{}
	for _, k := range doc.Keys {
		switch k["kty"] {
		case "RSA":
			out[k["kid"]] = &rsa.PublicKey{N: num(k["n"]), E: int(num(k["e"]).Int64())}
		case "EC":
			out[k["kid"]] = &ecdsa.PublicKey{Curve: elliptic.P384(), X: num(k["x"]), Y: num(k["y"])}
		default:
			return nil, fmt.Errorf("redoxtest: unsupported key type %q", k["kty"])
		}
	}
	return out, nil
}

// fetchJWKS reads the JWKS URL registered for clientID and registers its
// keys; it reports whether it found any.
func (s *Server) fetchJWKS(clientID string) bool {
	s.mu.Lock()
	u := s.jwksURLs[clientID]
	s.mu.Unlock()
	if u == "" {
		return false
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return false
	}
	return s.RegisterJWKS(clientID, body) == nil
}

// dashboardJWKS stands in for the Redox dashboard's key settings: GET shows
// a form, POST client_id and jwks_url registers the URL.
func (s *Server) dashboardJWKS(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>Redox emulator: register a JWKS URL</title>
<h1>Register a JWKS URL (Redox dashboard, emulated)</h1>
<form method="post"><p><label>Client ID <input name="client_id"></label></p>
<p><label>JWKS URL <input name="jwks_url" size="80"></label></p><button>Register</button></form>`)
	case http.MethodPost:
		clientID, u := r.FormValue("client_id"), r.FormValue("jwks_url")
		if pu, err := url.Parse(u); clientID == "" || err != nil || (pu.Scheme != "http" && pu.Scheme != "https") {
			http.Error(w, "Enter a client ID and an http(s) JWKS URL.", http.StatusBadRequest)
			return
		}
		s.RegisterJWKSURL(clientID, u)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "Registered the JWKS URL for client %s: its keys are read when an assertion names them.\n", clientID)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
	}
}

func oauthError(w http.ResponseWriter, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": description, "error_uri": errorURI})
}

// oauthToken is POST /v2/auth/token, verifying the assertion as §5 says.
func (s *Server) oauthToken(w http.ResponseWriter, r *http.Request, fault Fault) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		oauthError(w, "x-www-form-urlencoded content-type required")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	form, err := url.ParseQuery(string(body))
	switch {
	case err != nil:
		oauthError(w, "Malformed request body")
		return
	case form.Get("grant_type") == "":
		oauthError(w, "Missing grant_type parameter")
		return
	case form.Get("grant_type") != "client_credentials":
		oauthError(w, "The grant_type parameter should equal 'client_credentials'")
		return
	case form.Get("client_assertion_type") == "":
		oauthError(w, "Missing client assertion type")
		return
	case form.Get("client_assertion_type") != assertionType:
		oauthError(w, "Invalid client assertion type")
		return
	case form.Get("client_assertion") == "":
		oauthError(w, "Missing client assertion")
		return
	}
	s.mu.Lock()
	now, base := s.now(), s.baseURL
	s.mu.Unlock()
	if base == "" {
		base = "http://" + r.Host
	}
	clientID, problem := s.verify(form.Get("client_assertion"), base+"/v2/auth/token", now)
	if problem != nil {
		oauthError(w, *problem)
		return
	}
	s.mu.Lock()
	access := uuid()
	s.access[access] = grant{apiKey: "oauth:" + clientID, expires: now.Add(OAuthTTL)}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if fault == Malformed {
		io.WriteString(w, `{"access_token":"`+access+`","token_type":`)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": int(OAuthTTL / time.Second), "scope": ""})
}

// verify checks the assertion; a non-nil problem is the error_description
// Redox documents ("" where Redox leaves it empty: a wrong claim, alg,
// signature or jti).
func (s *Server) verify(assertion, aud string, now time.Time) (clientID string, problem *string) {
	say := func(d string) (string, *string) { return "", &d }
	unverified, _, err := jwt.NewParser().ParseUnverified(assertion, jwt.MapClaims{})
	if err != nil {
		return say("")
	}
	kid, _ := unverified.Header["kid"].(string)
	if kid == "" {
		return say("JWT header kid property is required")
	}
	claims := unverified.Claims.(jwt.MapClaims)
	iss, _ := claims["iss"].(string)
	s.mu.Lock()
	key, known := s.oauthKeys[[2]string{iss, kid}]
	s.mu.Unlock()
	if !known && s.fetchJWKS(iss) {
		s.mu.Lock()
		key, known = s.oauthKeys[[2]string{iss, kid}]
		s.mu.Unlock()
	}
	if !known {
		return say("Public key not found, check client_id, kid and Redox dashboard settings")
	}
	var alg string
	switch key.(type) {
	case *rsa.PublicKey:
		alg = "RS384"
	case *ecdsa.PublicKey:
		alg = "ES384"
	case []byte:
		alg = "HS384"
	}
	parsed, err := jwt.Parse(assertion, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{alg}), jwt.WithoutClaimsValidation())
	if err != nil || !parsed.Valid {
		return say("")
	}
	if sub, _ := claims["sub"].(string); sub != iss {
		return say("Unexpected sub claim value")
	}
	if a, _ := claims.GetAudience(); len(a) != 1 || a[0] != aud {
		return say("")
	}
	iat, err1 := claims.GetIssuedAt()
	exp, err2 := claims.GetExpirationTime()
	if err1 != nil || err2 != nil || iat == nil || exp == nil ||
		iat.After(now.Add(skew)) || iat.Before(now.Add(-5*time.Minute-skew)) ||
		!exp.After(now) || exp.After(now.Add(5*time.Minute+skew)) {
		return say("")
	}
	jti, _ := claims["jti"].(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jtis == nil {
		s.jtis = map[string]bool{}
	}
	if jti == "" || s.jtis[jti] {
		return say("")
	}
	s.jtis[jti] = true
	return iss, nil
}
