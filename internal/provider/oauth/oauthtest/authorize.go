package oauthtest

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// CodeTTL is how long an authorization code may be exchanged (RFC 6749
// §4.1.2 recommends at most 10 minutes).
const CodeTTL = 10 * time.Minute

// authorize is GET /authorize (RFC 6749 §4.1.1). Until the client and its
// redirect URI are known to be genuine, errors show a page and never
// redirect (§4.1.2.1), so the endpoint cannot be used as an open redirector.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		errorPage(w, http.StatusMethodNotAllowed, "Method not allowed", "Open the authorization URL with GET.")
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	c, ok := s.clients[q.Get("client_id")]
	s.mu.Unlock()
	if !ok {
		errorPage(w, http.StatusBadRequest, "Unknown client", "No application is registered with this client_id, so the request cannot be sent back to it.")
		return
	}
	redirectURI := q.Get("redirect_uri")
	switch {
	case redirectURI == "" && len(c.RedirectURIs) == 1:
		// §3.1.2.3: with one registered URI the parameter may be left out.
	case !slices.Contains(c.RedirectURIs, redirectURI):
		errorPage(w, http.StatusBadRequest, "Redirect URI mismatch",
			"The redirect_uri in this request is not one registered for "+c.label()+", so the request cannot be sent back.")
		return
	}
	back := redirectURI
	if back == "" {
		back = c.RedirectURIs[0]
	}
	state := q.Get("state")
	fail := func(code, description string) { redirectError(w, r, back, state, code, description) }

	for _, p := range []string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"} {
		if len(q[p]) > 1 {
			fail("invalid_request", "The "+p+" parameter was sent more than once.")
			return
		}
	}
	switch rt := q.Get("response_type"); {
	case rt == "":
		fail("invalid_request", "Missing response_type.")
		return
	case rt != "code":
		fail("unsupported_response_type", "Only response_type=code is supported.")
		return
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		fail("invalid_request", "code_challenge_method without code_challenge.")
		return
	case challenge != "" && method != "S256":
		// RFC 7636 §4.3: a missing method means plain, which is refused here.
		fail("invalid_request", "Transform algorithm not supported: use code_challenge_method=S256.")
		return
	case challenge != "" && (len(challenge) != 43 || strings.ContainsAny(challenge, "+/=")):
		fail("invalid_request", "code_challenge must be the base64url SHA-256 of the code_verifier (43 characters).")
		return
	}
	scope := q.Get("scope")
	noRefresh := false
	if v := s.opts.Vendor; v != nil {
		sc, offline, code, description := v.authorize(q)
		if code != "" {
			fail(code, description)
			return
		}
		scope, noRefresh = sc, !offline
		if v.NoPKCE {
			challenge = ""
		}
	}
	if scope == "" {
		scope = strings.Join(c.Scopes, " ")
	}
	if !c.allowed(scope) {
		fail("invalid_scope", "The requested scope is not allowed for this client.")
		return
	}
	p := &pending{clientID: c.ID, redirectURI: redirectURI, scope: scope, state: state, challenge: challenge, noRefresh: noRefresh}
	s.mu.Lock()
	auto := s.opts.AutoApprove
	s.mu.Unlock()
	if auto {
		s.approve(w, r, p)
		return
	}
	id := randomToken("")
	p.expires = s.now().Add(CodeTTL)
	s.mu.Lock()
	s.pending[id] = p
	user := s.opts.User
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	consentPage.Execute(w, map[string]any{
		"Client": c.label(), "Scopes": strings.Fields(scope), "Request": id, "User": user,
		// Relative, so the form works wherever the emulator is mounted.
		"Action": "authorize/decision",
	})
}

// decide is POST /authorize/decision, the consent page's Allow or Deny.
func (s *Server) decide(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		errorPage(w, http.StatusMethodNotAllowed, "Method not allowed", "The consent page posts its decision here.")
		return
	}
	id := r.PostFormValue("request")
	now := s.now()
	s.mu.Lock()
	p, ok := s.pending[id]
	delete(s.pending, id)
	s.mu.Unlock()
	if !ok || now.After(p.expires) {
		errorPage(w, http.StatusBadRequest, "This consent request is no longer valid",
			"It was already answered or has expired. Start again from the application.")
		return
	}
	back := p.redirectURI
	if back == "" {
		s.mu.Lock()
		back = s.clients[p.clientID].RedirectURIs[0]
		s.mu.Unlock()
	}
	if r.PostFormValue("decision") != "allow" {
		redirectError(w, r, back, p.state, "access_denied", "The user denied the request.")
		return
	}
	s.approve(w, r, p)
}

// approve issues a code bound to the client, redirect URI and challenge
// and sends the browser back with it and the state.
func (s *Server) approve(w http.ResponseWriter, r *http.Request, p *pending) {
	c := randomToken("code.")
	s.mu.Lock()
	s.codes[c] = &code{
		grant:    &grant{clientID: p.clientID, scope: p.scope, noRefresh: p.noRefresh},
		clientID: p.clientID, redirectURI: p.redirectURI, challenge: p.challenge,
		expires: s.opts.Clock().Add(CodeTTL),
	}
	back := p.redirectURI
	if back == "" {
		back = s.clients[p.clientID].RedirectURIs[0]
	}
	s.mu.Unlock()
	v := url.Values{"code": {c}}
	if vd := s.opts.Vendor; vd != nil {
		for k, x := range vd.Callback {
			v.Set(k, x)
		}
	}
	if p.state != "" {
		v.Set("state", p.state)
	}
	http.Redirect(w, r, withQuery(back, v), http.StatusFound)
}

func redirectError(w http.ResponseWriter, r *http.Request, back, state, code, description string) {
	v := url.Values{"error": {code}, "error_description": {description}}
	if state != "" {
		v.Set("state", state)
	}
	http.Redirect(w, r, withQuery(back, v), http.StatusFound)
}

// withQuery adds v to u's query, keeping the query u already has (§3.1.2).
func withQuery(u string, v url.Values) string {
	pu, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := pu.Query()
	for k, vs := range v {
		q[k] = vs
	}
	pu.RawQuery = q.Encode()
	return pu.String()
}

func (c *Client) label() string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

func errorPage(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	errorTemplate.Execute(w, map[string]string{"Title": title, "Text": text})
}

var errorTemplate = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · OAuth 2.0 emulator</title></head>
<body><main><h1 data-testid="oauth-error">{{.Title}}</h1><p>{{.Text}}</p></main></body></html>
`))

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Authorize {{.Client}} · OAuth 2.0 emulator</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
button{font:inherit;padding:.5rem 1.25rem;margin-right:.5rem}</style></head>
<body><main>
<h1>Authorize <span data-testid="consent-client">{{.Client}}</span></h1>
<p>Signed in as {{.User.Name}} ({{.User.Email}}). <strong>{{.Client}}</strong> asks for access to your account{{if .Scopes}} with these scopes:{{else}}.{{end}}</p>
{{if .Scopes}}<ul data-testid="consent-scopes">{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="request" value="{{.Request}}">
<button type="submit" name="decision" value="allow" data-testid="consent-allow">Allow</button>
<button type="submit" name="decision" value="deny" data-testid="consent-deny">Deny</button>
</form>
</main></body></html>
`))
