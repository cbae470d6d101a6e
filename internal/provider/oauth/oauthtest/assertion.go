package oauthtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// assertionAlgs are the signing algorithms a client assertion may use.
var assertionAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "ES256", "ES384"}

// verifyAssertion authenticates a private_key_jwt client (RFC 7523 §2.2
// and §3, OpenID Connect Core §9).
func (s *Server) verifyAssertion(r *http.Request, form url.Values) (*Client, *tokenError) {
	invalid := func(description string) *tokenError {
		return &tokenError{status: http.StatusUnauthorized, code: "invalid_client", description: description}
	}
	if form.Get("client_assertion_type") != assertionType {
		return nil, fail("invalid_request", "client_assertion_type must be "+assertionType+".")
	}
	assertion := form.Get("client_assertion")
	unverified, _, err := jwt.NewParser().ParseUnverified(assertion, jwt.MapClaims{})
	if err != nil {
		return nil, invalid("client_assertion is not a JWT.")
	}
	claims := unverified.Claims.(jwt.MapClaims)
	iss, _ := claims["iss"].(string)
	if id := form.Get("client_id"); id != "" && id != iss {
		return nil, invalid("client_id differs from the assertion's issuer.")
	}
	s.mu.Lock()
	c, ok := s.clients[iss]
	s.mu.Unlock()
	if !ok || c.AuthMethod != PrivateKeyJWT {
		return nil, invalid("No client registered for private_key_jwt has this issuer.")
	}
	if c.AssertionAlg != "" && unverified.Method.Alg() != c.AssertionAlg {
		// panva's oidc-provider's wording, for a client registered with
		// token_endpoint_auth_signing_alg.
		return nil, invalid("alg mismatch")
	}
	kid, _ := unverified.Header["kid"].(string)
	keys := s.assertionKeys(c, kid)
	if s.opts.Entra != nil {
		k, e := s.checkEntraAssertion(c, unverified)
		if e != nil {
			return nil, e
		}
		keys = []crypto.PublicKey{k}
	}
	var parsed *jwt.Token
	for _, k := range keys {
		parsed, err = jwt.Parse(assertion, func(*jwt.Token) (any, error) { return k, nil },
			jwt.WithValidMethods(assertionAlgs), jwt.WithoutClaimsValidation())
		if err == nil && parsed.Valid {
			break
		}
	}
	if parsed == nil || !parsed.Valid {
		return nil, invalid("The client assertion's signature does not verify with the client's registered keys.")
	}
	if sub, _ := claims["sub"].(string); sub != iss {
		return nil, invalid("The assertion's sub must equal its iss, the client_id.")
	}
	tokenURL := s.base(r) + "/token"
	aud, _ := claims.GetAudience()
	found := false
	for _, a := range aud {
		for _, want := range s.audiences(r) {
			found = found || a == want
		}
	}
	if !found {
		return nil, invalid("The assertion's aud must be the token endpoint, " + tokenURL + ".")
	}
	exp, err := claims.GetExpirationTime()
	now := s.now()
	if err != nil || exp == nil || !exp.After(now) {
		return nil, invalid("The assertion has no exp or has expired.")
	}
	jti, _ := claims["jti"].(string)
	if jti == "" {
		return nil, invalid("The assertion needs a jti.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jtis[jti] {
		return nil, invalid("The assertion's jti was already used.")
	}
	s.jtis[jti] = true
	return c, nil
}

// assertionKeys are the keys to try: the registered ones, then the JWKS
// URL's (read again when kid is not among them, so rotated keys are found).
func (s *Server) assertionKeys(c *Client, kid string) []crypto.PublicKey {
	keys := append([]crypto.PublicKey(nil), c.PublicKeys...)
	if c.JWKSURL == "" {
		return keys
	}
	s.mu.Lock()
	cached := s.jwks[c.ID]
	s.mu.Unlock()
	if _, ok := cached[kid]; !ok || kid == "" {
		if fresh, err := fetchJWKS(c.JWKSURL); err == nil {
			cached = fresh
			s.mu.Lock()
			s.jwks[c.ID] = fresh
			s.mu.Unlock()
		}
	}
	if k, ok := cached[kid]; ok && kid != "" {
		return append(keys, k)
	}
	for _, k := range cached {
		keys = append(keys, k)
	}
	return keys
}

func fetchJWKS(u string) (map[string]crypto.PublicKey, error) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("oauthtest: JWKS URL answered %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	return ParseJWKS(body)
}

// ParseJWKS reads the RSA and EC (P-256, P-384, P-521) public keys of a
// JWKS document (RFC 7517), by kid.
func ParseJWKS(doc []byte) (map[string]crypto.PublicKey, error) {
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil || len(set.Keys) == 0 {
		return nil, errors.New("oauthtest: not a JWKS document")
	}
	num := func(k map[string]any, name string) (*big.Int, error) {
		v, _ := k[name].(string)
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("oauthtest: JWK member %q is not base64url", name)
		}
		return new(big.Int).SetBytes(b), nil
	}
	out := map[string]crypto.PublicKey{}
	for i, k := range set.Keys {
		kid, _ := k["kid"].(string)
		if kid == "" {
			kid = fmt.Sprint("#", i)
		}
		switch k["kty"] {
		case "RSA":
			n, err1 := num(k, "n")
			e, err2 := num(k, "e")
			if err := errors.Join(err1, err2); err != nil {
				return nil, err
			}
			out[kid] = &rsa.PublicKey{N: n, E: int(e.Int64())}
		case "EC":
			var curve elliptic.Curve
			switch k["crv"] {
			case "P-256":
				curve = elliptic.P256()
			case "P-384":
				curve = elliptic.P384()
			case "P-521":
				curve = elliptic.P521()
			default:
				return nil, fmt.Errorf("oauthtest: unsupported curve %v", k["crv"])
			}
			x, err1 := num(k, "x")
			y, err2 := num(k, "y")
			if err := errors.Join(err1, err2); err != nil {
				return nil, err
			}
			out[kid] = &ecdsa.PublicKey{Curve: curve, X: x, Y: y}
		}
	}
	return out, nil
}

// dashboardJWKS stands in for a service's app settings, where the JWKS URL
// of a private_key_jwt client is pasted: GET shows the form, POST sets it.
func (s *Server) dashboardJWKS(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		dashboardTemplate.Execute(w, nil)
	case http.MethodPost:
		clientID, u := r.PostFormValue("client_id"), r.PostFormValue("jwks_url")
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			errorPage(w, http.StatusBadRequest, "Enter an http(s) JWKS URL", "The JWKS URL is the one the token's page shows.")
			return
		}
		if !s.SetJWKSURL(clientID, u) {
			errorPage(w, http.StatusBadRequest, "Unknown client", "No client registered for Signed JWT (private_key_jwt) has this Client ID.")
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		dashboardTemplate.Execute(w, map[string]string{"Done": clientID})
	default:
		w.Header().Set("Allow", "GET, POST")
		errorPage(w, http.StatusMethodNotAllowed, "Method not allowed", "")
	}
}

var dashboardTemplate = template.Must(template.New("jwks").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Register a JWKS URL · OAuth 2.0 emulator</title></head>
<body><main><h1>Register a JWKS URL</h1>
{{if .}}<p role="status" data-testid="jwks-registered">Registered: assertions of {{.Done}} are verified with the keys at that URL.</p>{{end}}
<form method="post">
<p><label for="client_id">Client ID</label> <input id="client_id" name="client_id" required></p>
<p><label for="jwks_url">JWKS URL</label> <input id="jwks_url" name="jwks_url" type="url" size="80" required></p>
<button type="submit">Register</button>
</form></main></body></html>
`))
