package zoomtest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// DefaultUserAppScopes are granted to a user-level app unless SetScopes
// says otherwise.
const DefaultUserAppScopes = "user:read:user meeting:read:meeting meeting:write:meeting"

// CodeTTL is how long an authorization code may be exchanged.
const CodeTTL = 10 * time.Minute

type userApp struct {
	secret, accountID, scope string
	redirectURIs             []string
}

type userCode struct {
	clientID, redirectURI, challenge string
	expires                          time.Time
	used                             bool
}

type userRefresh struct {
	clientID string
	used     bool // Zoom's refresh tokens are single use: the newest must be used
	revoked  bool
	// chain is the authorization the token belongs to: every access and
	// refresh token issued under it, which die with it (RFC 7009 §2.1).
	chain *userChain
}

// userChain is one user's authorization of an app.
type userChain struct{ access []*issued }

type consent struct {
	clientID, redirectURI, state, challenge string
	expires                                 time.Time
}

// userAuth is the state of user-level OAuth (spec §2c).
type userAuth struct {
	userApps      map[string]userApp // client id → app
	codes         map[string]*userCode
	refreshTokens map[string]*userRefresh
	consents      map[string]*consent
	autoApprove   bool
	refreshes     int
}

func newUserAuth() userAuth {
	return userAuth{
		userApps: map[string]userApp{}, codes: map[string]*userCode{},
		refreshTokens: map[string]*userRefresh{}, consents: map[string]*consent{},
	}
}

// AddUserApp registers a user-level OAuth app (authorization code with
// rotating refresh tokens): its client ID and secret, and the redirect
// URIs its Zoom app page allows. Its tokens act as accountID's user.
func (s *Server) AddUserApp(accountID, clientID, clientSecret string, redirectURIs ...string) *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.userApps[clientID] = userApp{secret: clientSecret, accountID: accountID, scope: DefaultUserAppScopes,
		redirectURIs: append([]string(nil), redirectURIs...)}
	return s
}

// SetAutoApprove makes /oauth/authorize redirect back at once, as if the
// user had clicked Allow (tests use it).
func (s *Server) SetAutoApprove(on bool) { s.mu.Lock(); s.autoApprove = on; s.mu.Unlock() }

// Refreshes is how many refresh_token grants succeeded.
func (s *Server) Refreshes() int { s.mu.Lock(); defer s.mu.Unlock(); return s.refreshes }

// RevokeRefreshToken withdraws the authorization a refresh token carries,
// as a user removing the app does: it answers invalid_grant afterwards.
func (s *Server) RevokeRefreshToken(refreshToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt, ok := s.refreshTokens[refreshToken]; ok {
		rt.revoked = true
		// Revoking the authorization revokes its access tokens too: a
		// "who am I" with the last one then answers 401.
		if rt.chain != nil {
			for _, t := range rt.chain.access {
				t.revoked = true
			}
		}
	}
}

// authorize is GET /oauth/authorize and the consent page's POST back.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		s.consentDecision(w, r)
		return
	default:
		w.Header().Set("Allow", "GET, POST")
		authorizePage(w, http.StatusMethodNotAllowed, "Method not allowed", "")
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	app, ok := s.userApps[q.Get("client_id")]
	s.mu.Unlock()
	if !ok {
		authorizePage(w, http.StatusBadRequest, "Invalid client_id", "No Zoom app has this client ID.")
		return
	}
	redirectURI := q.Get("redirect_uri")
	if redirectURI == "" && len(app.redirectURIs) == 1 {
		redirectURI = app.redirectURIs[0]
	}
	if !slices.Contains(app.redirectURIs, redirectURI) {
		// Never redirect to a URI the app did not register.
		authorizePage(w, http.StatusBadRequest, "Invalid redirect", "The redirect URL is not on this app's allow list.")
		return
	}
	state := q.Get("state")
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case q.Get("response_type") != "code":
		redirectBack(w, r, redirectURI, url.Values{"error": {"unsupported_response_type"}}, state)
		return
	case challenge != "" && method != "S256":
		redirectBack(w, r, redirectURI, url.Values{"error": {"invalid_request"}, "error_description": {"code_challenge_method must be S256"}}, state)
		return
	}
	c := &consent{clientID: q.Get("client_id"), redirectURI: redirectURI, state: state, challenge: challenge}
	s.mu.Lock()
	auto := s.autoApprove
	c.expires = s.now().Add(CodeTTL)
	id := newToken()
	if !auto {
		s.consents[id] = c
	}
	user := s.users[app.accountID]
	s.mu.Unlock()
	if auto {
		s.grantCode(w, r, c)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	consentTemplate.Execute(w, map[string]any{"Client": c.clientID, "Scopes": app.scope, "Request": id, "User": user})
}

func (s *Server) consentDecision(w http.ResponseWriter, r *http.Request) {
	id := r.PostFormValue("request")
	s.mu.Lock()
	c, ok := s.consents[id]
	delete(s.consents, id)
	now := s.now()
	s.mu.Unlock()
	if !ok || now.After(c.expires) {
		authorizePage(w, http.StatusBadRequest, "This request has expired", "Start again from the app.")
		return
	}
	if r.PostFormValue("decision") != "allow" {
		redirectBack(w, r, c.redirectURI, url.Values{"error": {"access_denied"}}, c.state)
		return
	}
	s.grantCode(w, r, c)
}

func (s *Server) grantCode(w http.ResponseWriter, r *http.Request, c *consent) {
	code := newToken()
	s.mu.Lock()
	s.codes[code] = &userCode{clientID: c.clientID, redirectURI: c.redirectURI, challenge: c.challenge, expires: s.now().Add(CodeTTL)}
	s.mu.Unlock()
	redirectBack(w, r, c.redirectURI, url.Values{"code": {code}}, c.state)
}

func redirectBack(w http.ResponseWriter, r *http.Request, to string, v url.Values, state string) {
	if state != "" {
		v.Set("state", state)
	}
	u, err := url.Parse(to)
	if err != nil {
		authorizePage(w, http.StatusBadRequest, "Invalid redirect", "")
		return
	}
	q := u.Query()
	for k, vs := range v {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// userToken is POST /oauth/token with grant_type authorization_code or
// refresh_token, for a user-level app authenticated with Basic.
func (s *Server) userToken(w http.ResponseWriter, params url.Values, clientID, secret string, fault Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	app, ok := s.userApps[clientID]
	if !ok || subtle.ConstantTimeCompare([]byte(app.secret), []byte(secret)) != 1 {
		oauthError(w, "invalid_client", "Invalid client_id or client_secret")
		return
	}
	now := s.now()
	chain := &userChain{}
	if params.Get("grant_type") == "authorization_code" {
		value := params.Get("code")
		c, ok := s.codes[value]
		switch {
		case value == "":
			oauthError(w, "invalid_request", "Missing code")
			return
		case !ok || c.used || c.clientID != clientID || !now.Before(c.expires):
			if ok {
				c.used = true
			}
			oauthError(w, "invalid_grant", "Invalid authorization code")
			return
		case params.Get("redirect_uri") != c.redirectURI:
			oauthError(w, "invalid_request", "Redirect URI mismatch.")
			return
		}
		c.used = true
		if c.challenge != "" {
			sum := sha256.Sum256([]byte(params.Get("code_verifier")))
			if base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge {
				oauthError(w, "invalid_grant", "Invalid code verifier")
				return
			}
		}
	} else {
		rt, ok := s.refreshTokens[params.Get("refresh_token")]
		switch {
		case params.Get("refresh_token") == "":
			oauthError(w, "invalid_request", "Missing refresh_token")
			return
		case !ok || rt.used || rt.revoked || rt.clientID != clientID:
			// What Zoom answers a spent refresh token.
			oauthError(w, "invalid_grant", "Invalid Token!")
			return
		}
		rt.used = true
		s.refreshes++
		if rt.chain != nil {
			chain = rt.chain
		}
	}
	tok, refresh := newToken(), newToken()
	at := &issued{clientID: clientID, accountID: app.accountID, scope: app.scope, expires: now.Add(s.ttl)}
	chain.access = append(chain.access, at)
	s.tokens[tok] = at
	s.refreshTokens[refresh] = &userRefresh{clientID: clientID, chain: chain}
	if fault == Malformed {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"`+tok+`","token_type":`)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "bearer", "refresh_token": refresh, "expires_in": int(s.ttl / time.Second),
		"scope": app.scope, "api_url": s.baseURL,
	})
}

func authorizePage(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	errorTemplate.Execute(w, map[string]string{"Title": title, "Text": text})
}

var errorTemplate = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · Zoom emulator</title></head>
<body><main><h1 data-testid="oauth-error">{{.Title}}</h1><p>{{.Text}}</p></main></body></html>
`))

var consentTemplate = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize app · Zoom emulator</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
button{font:inherit;padding:.5rem 1.25rem;margin-right:.5rem}</style></head>
<body><main>
<h1>Allow <span data-testid="consent-client">{{.Client}}</span> to access your Zoom account?</h1>
<p>Signed in as {{.User.FirstName}} {{.User.LastName}} ({{.User.Email}}).</p>
<p>It asks for these scopes: <span data-testid="consent-scopes">{{.Scopes}}</span></p>
<form method="post" action="authorize">
<input type="hidden" name="request" value="{{.Request}}">
<button type="submit" name="decision" value="allow" data-testid="consent-allow">Allow</button>
<button type="submit" name="decision" value="deny" data-testid="consent-deny">Deny</button>
</form>
</main></body></html>
`))
