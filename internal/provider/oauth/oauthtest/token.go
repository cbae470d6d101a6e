package oauthtest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// tokenError is an RFC 6749 §5.2 error answer.
type tokenError struct {
	status      int
	code        string
	description string
	basic       bool // the client tried HTTP Basic: 401 needs WWW-Authenticate
	// extra is the whole answer, for vendors with their own shape (Entra).
	extra map[string]any
}

func fail(code, description string) *tokenError {
	return &tokenError{status: http.StatusBadRequest, code: code, description: description}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (e *tokenError) write(w http.ResponseWriter) {
	if e.basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="oauthtest", charset="UTF-8"`)
	}
	if e.extra != nil {
		writeJSON(w, e.status, e.extra)
		return
	}
	writeJSON(w, e.status, map[string]string{"error": e.code, "error_description": e.description})
}

// token is POST /token (RFC 6749 §3.2, §4.1.3, §4.4.2, §6).
func (s *Server) token(w http.ResponseWriter, r *http.Request, fault Fault) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "invalid_request", "error_description": "The token endpoint takes POST only."})
		return
	}
	answer, e := s.tokenAnswer(r)
	if e != nil {
		e.write(w)
		return
	}
	if fault != Malformed && s.opts.Vendor.writeAnswer(w, r, answer) {
		return
	}
	if fault == Malformed {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		io.WriteString(w, `{"access_token":"`+answer["access_token"].(string)+`","token_type":`)
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

func (s *Server) tokenAnswer(r *http.Request) (map[string]any, *tokenError) {
	if v := s.opts.Vendor; v != nil && v.JSONBody {
		form, e := v.readBody(r)
		if e != nil {
			return nil, e
		}
		return s.tokenGrant(r, form)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
		return nil, fail("invalid_request", "The request body must be application/x-www-form-urlencoded.")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return nil, fail("invalid_request", "The request body could not be read.")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fail("invalid_request", "The request body is not valid form encoding.")
	}
	for k, vs := range form {
		if len(vs) > 1 {
			return nil, fail("invalid_request", "The "+k+" parameter was sent more than once.")
		}
	}
	return s.tokenGrant(r, form)
}

// tokenGrant authenticates the client and runs the grant the form asks for.
func (s *Server) tokenGrant(r *http.Request, form url.Values) (map[string]any, *tokenError) {
	c, e := s.authenticate(r, form)
	if e != nil {
		return nil, e
	}
	switch gt := form.Get("grant_type"); gt {
	case "authorization_code":
		return s.exchange(c, form)
	case "refresh_token":
		return s.refreshGrant(c, form)
	case "client_credentials":
		return s.clientCredentials(c, form)
	case "":
		return nil, fail("invalid_request", "Missing grant_type.")
	default:
		return nil, fail("unsupported_grant_type", "The grant type "+gt+" is not supported.")
	}
}

// authenticate finds the client and checks it authenticated exactly by its
// registered method (RFC 6749 §2.3: one method per request).
func (s *Server) authenticate(r *http.Request, form url.Values) (*Client, *tokenError) {
	basicID, basicSecret, hasBasic := r.BasicAuth()
	if hasBasic {
		// §2.3.1: id and secret are form-encoded before Basic encoding.
		if id, err := url.QueryUnescape(basicID); err == nil {
			basicID = id
		}
		if sec, err := url.QueryUnescape(basicSecret); err == nil {
			basicSecret = sec
		}
	}
	_, hasPost := form["client_secret"]
	_, hasAssertion := form["client_assertion"]
	methods := 0
	for _, b := range []bool{hasBasic, hasPost, hasAssertion} {
		if b {
			methods++
		}
	}
	invalid := func(description string) *tokenError {
		return &tokenError{status: http.StatusUnauthorized, code: "invalid_client", description: description, basic: hasBasic}
	}
	switch {
	case methods > 1:
		return nil, fail("invalid_request", "Use exactly one client authentication method.")
	case methods == 0:
		return nil, invalid("Client authentication is required.")
	case hasAssertion:
		return s.verifyAssertion(r, form)
	}
	id, secret, method := form.Get("client_id"), form.Get("client_secret"), ClientSecretPost
	if hasBasic {
		if id != "" && id != basicID {
			return nil, fail("invalid_request", "client_id in the body differs from the authenticated client.")
		}
		id, secret, method = basicID, basicSecret, ClientSecretBasic
	}
	s.mu.Lock()
	c, ok := s.clients[id]
	s.mu.Unlock()
	if !ok || c.AuthMethod == PrivateKeyJWT || subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1 {
		return nil, invalid("Client authentication failed: unknown client or wrong secret.")
	}
	if c.AuthMethod != method {
		return nil, invalid("This client is registered to authenticate with " + c.AuthMethod + ".")
	}
	return c, nil
}

// exchange is the authorization_code grant (§4.1.3, RFC 7636 §4.6).
func (s *Server) exchange(c *Client, form url.Values) (map[string]any, *tokenError) {
	value := form.Get("code")
	if value == "" {
		return nil, fail("invalid_request", "Missing code.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Clock()
	cd, ok := s.codes[value]
	switch {
	case !ok:
		return nil, fail("invalid_grant", "The authorization code is not valid.")
	case cd.used:
		// §4.1.2: a code used twice revokes the tokens it gave.
		cd.grant.revoked = true
		return nil, fail("invalid_grant", "The authorization code was already used; the tokens issued with it are revoked.")
	}
	cd.used = true
	switch {
	case cd.grant.revoked:
		return nil, fail("invalid_grant", "The authorization was revoked.")
	case !now.Before(cd.expires):
		return nil, fail("invalid_grant", "The authorization code has expired.")
	case cd.clientID != c.ID:
		return nil, fail("invalid_grant", "The authorization code was issued to another client.")
	case cd.redirectURI != form.Get("redirect_uri"):
		return nil, fail("invalid_grant", "redirect_uri does not match the one in the authorization request.")
	}
	verifier := form.Get("code_verifier")
	switch {
	case cd.challenge != "" && verifier == "":
		return nil, fail("invalid_grant", "code_verifier is required: the authorization request carried a code_challenge.")
	case cd.challenge == "" && verifier != "":
		return nil, fail("invalid_grant", "code_verifier sent, but the authorization request carried no code_challenge.")
	case cd.challenge != "":
		sum := sha256.Sum256([]byte(verifier))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != cd.challenge {
			return nil, fail("invalid_grant", "code_verifier does not match the code_challenge.")
		}
	}
	return s.issue(cd.grant, cd.grant.scope, true, now), nil
}

// refreshGrant is the refresh_token grant (§6), rotating single-use
// refresh tokens unless the options say otherwise.
func (s *Server) refreshGrant(c *Client, form url.Values) (map[string]any, *tokenError) {
	value := form.Get("refresh_token")
	if value == "" {
		return nil, fail("invalid_request", "Missing refresh_token.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Clock()
	if code := s.refreshErr[0]; code != "" {
		if s.opts.Entra != nil {
			return nil, &tokenError{status: http.StatusBadRequest, code: code, description: s.refreshErr[1],
				extra: entraBody(code, 50076, s.refreshErr[1], now)}
		}
		return nil, fail(code, s.refreshErr[1])
	}
	rt, ok := s.refresh[value]
	if ok && rt.used && s.opts.ReuseRevokesGrant {
		// A spent refresh token presented again: someone holds a copy, so
		// the whole family goes.
		rt.grant.revoked = true
	}
	switch {
	case !ok:
		return nil, fail("invalid_grant", "The refresh token is not valid.")
	case rt.grant.clientID != c.ID:
		return nil, fail("invalid_grant", "The refresh token was issued to another client.")
	case rt.grant.revoked:
		return nil, fail("invalid_grant", "The authorization was revoked.")
	case rt.used:
		return nil, fail("invalid_grant", "The refresh token was already used: use the newest one.")
	case !rt.expires.IsZero() && !now.Before(rt.expires):
		return nil, fail("invalid_grant", "The refresh token has expired.")
	}
	scope := rt.scope
	if asked := form.Get("scope"); asked != "" {
		if !subset(asked, rt.scope) {
			return nil, fail("invalid_scope", "A refresh may not ask for more scope than the grant has.")
		}
		scope = asked
	}
	rotate := !s.opts.RefreshReusable
	if rotate {
		rt.used = true
	}
	if v := s.opts.Vendor; v != nil && v.RefreshRevokesAccess {
		for value, at := range s.access {
			if at.grant == rt.grant {
				delete(s.access, value)
			}
		}
	}
	s.refreshes++
	return s.issue(rt.grant, scope, rotate, now), nil
}

// clientCredentials is §4.4: no refresh token (§4.4.3).
func (s *Server) clientCredentials(c *Client, form url.Values) (map[string]any, *tokenError) {
	if !c.ClientCredentials {
		return nil, fail("unauthorized_client", "This client may not use the client_credentials grant.")
	}
	scope := form.Get("scope")
	if scope == "" {
		scope = strings.Join(c.Scopes, " ")
	}
	if !c.allowed(scope) {
		return nil, fail("invalid_scope", "The requested scope is not allowed for this client.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issue(&grant{clientID: c.ID, scope: scope}, scope, false, s.opts.Clock()), nil
}

// issue mints an access token (and a refresh token when withRefresh) under
// g; s.mu is held.
func (s *Server) issue(g *grant, scope string, withRefresh bool, now time.Time) map[string]any {
	at := randomToken("at.")
	s.access[at] = &accessToken{grant: g, scope: scope, issued: now, expires: now.Add(s.opts.AccessTTL)}
	s.issued++
	answer := map[string]any{}
	for k, v := range s.opts.Extra {
		answer[k] = v
	}
	if v := s.opts.Vendor; v != nil {
		for k, x := range v.Answer {
			answer[k] = withBase(x, s.baseURL)
		}
		if v.ExpiresInZero {
			answer["expires_in"] = 0
		}
	}
	answer["access_token"] = at
	answer["token_type"] = "Bearer"
	if !s.opts.NoExpiresIn {
		answer["expires_in"] = int(s.opts.AccessTTL / time.Second)
	}
	answer["scope"] = scope
	if withRefresh && !g.noRefresh {
		rt := randomToken("rt.")
		var exp time.Time
		if s.opts.RefreshTTL > 0 {
			exp = now.Add(s.opts.RefreshTTL)
			answer["refresh_token_expires_in"] = int(s.opts.RefreshTTL / time.Second)
		}
		s.refresh[rt] = &refreshToken{grant: g, scope: g.scope, expires: exp}
		answer["refresh_token"] = rt
	}
	return answer
}
