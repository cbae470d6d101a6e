package oauthtest

import (
	"context"
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// This file holds the vendors' quirks (docs/oauth-services.md): an answer
// without expires_in read back by introspection (Salesforce), the "who am
// I" endpoints of the presets' services in their own shapes, refresh
// errors that need a person (interaction_required), a client registered
// for one assertion algorithm ("alg mismatch", as panva's oidc-provider
// answers), refresh token reuse revoking the whole grant (Salesforce's
// rotation), and Microsoft Entra's tenants and certificate rules. An
// emulator kinder than the vendor hides bugs.

// Entra makes the server behave as the Microsoft identity platform:
// /{tenant}/oauth2/v2.0/authorize and /token, /common refused for a
// single-tenant app (AADSTS50194), certificate credentials only (an
// x5t#S256 or x5t header naming a registered certificate, RS256 or PS256),
// and errors in Entra's JSON shape (error_codes, trace and correlation ids).
type Entra struct {
	// Tenant is the app's home tenant (an ID or domain); organizations
	// and the tenant itself are accepted.
	Tenant string
	// MultiTenant accepts /common too (the portal's default is single).
	MultiTenant bool
}

// origPath carries the path a request came in on before the Entra prefix
// was taken off (an assertion's aud names it).
type origPathKey struct{}

// entraRoute takes /{tenant}/oauth2/v2.0/{authorize,token} apart; ok is
// false when it has answered the request itself (a refused tenant).
func (s *Server) entraRoute(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	e := s.opts.Entra
	if e == nil {
		return r, true
	}
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)
	if len(parts) != 2 || (parts[1] != "oauth2/v2.0/authorize" && parts[1] != "oauth2/v2.0/token") {
		return r, true
	}
	tenant := parts[0]
	switch {
	case tenant == "common" && !e.MultiTenant:
		s.entraError(w, r, http.StatusBadRequest, "invalid_request", 50194,
			"AADSTS50194: Application is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications "+
				"created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.")
		return nil, false
	case tenant != "organizations" && tenant != "common" && !strings.EqualFold(tenant, e.Tenant):
		s.entraError(w, r, http.StatusBadRequest, "invalid_request", 90002,
			"AADSTS90002: Tenant '"+tenant+"' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.")
		return nil, false
	}
	r2 := r.Clone(context.WithValue(r.Context(), origPathKey{}, r.URL.Path))
	r2.URL.Path = "/" + strings.TrimPrefix(parts[1], "oauth2/v2.0/")
	return r2, true
}

// entraError answers in Entra's shape; the authorization endpoint shows it
// as a page, as Microsoft's sign-in page does.
func (s *Server) entraError(w http.ResponseWriter, r *http.Request, status int, code string, number int, description string) {
	if strings.HasSuffix(r.URL.Path, "/authorize") {
		errorPage(w, status, "Sign in", description)
		return
	}
	writeJSON(w, status, entraBody(code, number, description, s.now()))
}

func entraBody(code string, number int, description string, now time.Time) map[string]any {
	return map[string]any{
		"error": code, "error_description": description, "error_codes": []int{number},
		"timestamp": now.UTC().Format("2006-01-02 15:04:05Z"), "trace_id": randomToken(""), "correlation_id": randomToken(""),
	}
}

// checkEntraAssertion applies Entra's certificate rules to a parsed but
// unverified assertion: the key must be a registered certificate named by
// its thumbprint, and the algorithm RS256 or PS256. It returns the key to
// verify with.
func (s *Server) checkEntraAssertion(c *Client, tok *jwt.Token) (crypto.PublicKey, *tokenError) {
	now := s.now()
	fail := func(number int, description string) *tokenError {
		return &tokenError{status: http.StatusUnauthorized, code: "invalid_client", description: description, extra: entraBody("invalid_client", number, description, now)}
	}
	if alg := tok.Method.Alg(); alg != "RS256" && alg != "PS256" {
		return nil, fail(5002738, "AADSTS5002738: Invalid JWT token. '"+alg+"' is not a supported signature algorithm. Supported signing algorithms are: 'RS256, PS256'")
	}
	s256, _ := tok.Header["x5t#S256"].(string)
	sha1t, _ := tok.Header["x5t"].(string)
	if s256 == "" && sha1t == "" {
		return nil, fail(700027, "AADSTS700027: Client assertion failed signature validation. The assertion's header has no x5t#S256 (or x5t) certificate thumbprint.")
	}
	for _, cert := range c.Certificates {
		a := sha256.Sum256(cert.Raw)
		b := sha1.Sum(cert.Raw)
		if s256 != "" && subtle.ConstantTimeCompare([]byte(s256), []byte(base64.RawURLEncoding.EncodeToString(a[:]))) == 1 ||
			s256 == "" && subtle.ConstantTimeCompare([]byte(sha1t), []byte(base64.RawURLEncoding.EncodeToString(b[:]))) == 1 {
			return cert.PublicKey, nil
		}
	}
	return nil, fail(700027, "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.")
}

// SetRefreshError makes every refresh_token grant answer this error (as
// Entra answers interaction_required when a policy demands a new sign-in);
// an empty code switches it off.
func (s *Server) SetRefreshError(code, description string) {
	s.mu.Lock()
	s.refreshErr = [2]string{code, description}
	s.mu.Unlock()
}

// RegisterCertificate uploads a certificate to a client's registration,
// as the Entra portal's Certificates & secrets page does.
func (s *Server) RegisterCertificate(clientID string, cert *x509.Certificate) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[clientID]
	if !ok {
		return false
	}
	c.Certificates = append(c.Certificates, cert)
	return true
}

// introspect is RFC 7662 token introspection, at /introspect and at
// Salesforce's /services/oauth2/introspect: the client authenticates, and
// learns whether a token is active and when it expires.
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "invalid_request"})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	if _, e := s.authenticate(r, r.PostForm); e != nil {
		e.write(w)
		return
	}
	value := r.PostForm.Get("token")
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Clock()
	if t, ok := s.access[value]; ok && !t.grant.revoked && now.Before(t.expires) {
		writeJSON(w, http.StatusOK, map[string]any{"active": true, "exp": t.expires.Unix(), "iat": t.issued.Unix(),
			"client_id": t.grant.clientID, "scope": t.scope, "token_type": "access_token", "sub": s.opts.User.Sub})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"active": false})
}

// whoAmIShape answers a "who am I" endpoint in its vendor's shape.
func (s *Server) whoAmIShape(path string, u User, clientID, scope string) (any, bool) {
	switch path {
	case "/drive/v3/about": // Google Drive, ?fields=user
		return map[string]any{"user": map[string]any{"kind": "drive#user", "displayName": u.Name, "emailAddress": u.Email, "permissionId": u.Sub, "me": true}}, true
	case "/v1.0/me": // Microsoft Graph
		return map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity", "id": u.Sub,
			"displayName": u.Name, "mail": u.Email, "userPrincipalName": u.Email}, true
	case "/2.0/users/me": // Box
		return map[string]any{"type": "user", "id": u.Sub, "name": u.Name, "login": u.Email, "status": "active"}, true
	case "/2/users/get_current_account": // Dropbox (POST)
		return map[string]any{"account_id": "dbid:" + u.Sub, "name": map[string]any{"display_name": u.Name}, "email": u.Email, "email_verified": true}, true
	case "/services/oauth2/userinfo", "/userinfo", "/me": // Salesforce, OpenID Connect
		return map[string]any{"sub": u.Sub, "name": u.Name, "email": u.Email, "client_id": clientID, "scope": scope}, true
	}
	return nil, false
}

// vendorPaths are the back-channel endpoints beside /token and /userinfo.
var vendorPaths = map[string]string{
	"/introspect": "introspect", "/services/oauth2/introspect": "introspect",
	"/drive/v3/about": "whoami", "/v1.0/me": "whoami", "/2.0/users/me": "whoami",
	"/2/users/get_current_account": "whoami", "/services/oauth2/userinfo": "whoami",
}

// audiences are the token endpoint URLs an assertion may name: the
// emulator's /token, or the Entra path the request came in on.
func (s *Server) audiences(r *http.Request) []string {
	out := []string{s.base(r) + "/token"}
	if p, ok := r.Context().Value(origPathKey{}).(string); ok {
		out = append(out, s.base(r)+p)
	}
	return out
}

// tokenURLFor is the Entra-style token URL of tenant ("" without Entra).
func (s *Server) EntraTokenURL(tenant string) string {
	return s.base(nil) + "/" + url.PathEscape(tenant) + "/oauth2/v2.0/token"
}

// EntraAuthURL is the Entra-style authorization URL of tenant.
func (s *Server) EntraAuthURL(tenant string) string {
	return s.base(nil) + "/" + url.PathEscape(tenant) + "/oauth2/v2.0/authorize"
}

// SetExtra replaces the extra fields of every token answer (instance_url,
// api_url, id, …), for a test that learns its own base URL after New.
func (s *Server) SetExtra(extra map[string]any) {
	s.mu.Lock()
	s.opts.Extra = extra
	s.mu.Unlock()
}
