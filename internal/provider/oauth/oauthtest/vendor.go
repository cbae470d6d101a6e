package oauthtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Vendor makes the server behave as one service of the catalogue
// (docs/oauth-services.md): its paths, client authentication, scope
// separator, required and "offline" parameters, request and answer
// encodings, answer fields, callback parameters, lifetimes and rotation,
// and the API endpoints a client reads after connecting, answered in the
// vendor's shape and checked for the token in the vendor's header. The
// rows of vendor_catalogue.go are the test data of the catalogue's rows.
type Vendor struct {
	Name string
	// AuthorizePath and TokenPath are the vendor's paths ("/authorize"
	// and "/token" when empty); the host is whatever routes to the server.
	AuthorizePath, TokenPath string
	// AuthMethod is how the client must authenticate (ClientSecretBasic
	// when empty).
	AuthMethod string
	// ScopeSeparator "," splits the scope parameter on commas, and
	// refuses a scope holding a space (invalid_scope).
	ScopeSeparator string
	// RequireParams must be on the authorization request, with these
	// values (Atlassian's audience=api.atlassian.com): invalid_request
	// otherwise.
	RequireParams map[string]string
	// OfflineParams (Google's access_type=offline) and OfflineScope
	// (offline_access) are what gives a refresh token: without them the
	// answer has none.
	OfflineParams map[string]string
	OfflineScope  string
	// PKCERequired refuses an authorization request without code_challenge.
	PKCERequired bool
	// NoPKCE: the vendor does not know PKCE; a code_challenge is ignored
	// (and a code_verifier then refused), as Box documents none.
	NoPKCE bool
	// JSONBody: token requests must be JSON (Notion); form bodies are refused.
	JSONBody bool
	// FormAnswer: token answers are form-encoded unless the request's
	// Accept asks for JSON (GitHub).
	FormAnswer bool
	// NoExpiresIn leaves expires_in out (Salesforce, some GitLab versions).
	NoExpiresIn bool
	// NeverExpires: access tokens do not expire; ExpiresInZero answers
	// expires_in: 0 (Mailchimp), else it is left out.
	NeverExpires  bool
	ExpiresInZero bool
	// NoRefresh: no refresh token, ever (Mailchimp, legacy monday.com).
	NoRefresh bool
	// Reusable: refresh tokens do not rotate (Google, Dropbox); otherwise
	// each refresh returns a new one and the spent one dies.
	Reusable bool
	// AccessTTL and RefreshTTL as in Options (one hour, never when zero).
	AccessTTL, RefreshTTL time.Duration
	// ReuseRevokesGrant as in Options (Salesforce's rotation).
	ReuseRevokesGrant bool
	// RefreshRevokesAccess: a refresh invalidates the grant's earlier
	// access tokens, as Airtable, Zendesk and GitLab document; an app still
	// holding one gets 401 at once, not at its expiry.
	RefreshRevokesAccess bool
	// Answer are fields added to every token answer; a string "{base}"
	// in them is the server's base URL (Salesforce's instance_url).
	Answer map[string]any
	// Callback are parameters added to the redirect back (QuickBooks' realmId).
	Callback map[string]string
	// Resources are the API endpoints: "GET /path" → the JSON answered to
	// a valid token, in which {name}, {email}, {sub} and {base} are the
	// user's and the server's.
	Resources map[string]string
	// TokenHeader is where the resources read the token: "" is
	// Authorization: Bearer; else a header holding it bare (Shopify).
	TokenHeader string
	// RefuseWith200 is the body an API endpoint answers, with HTTP 200,
	// to a token it does not accept (Slack's {"ok":false,"error":"invalid_auth"});
	// empty: 401 as RFC 6750 says.
	RefuseWith200 string
	// Entra: Microsoft Entra ID's tenants and certificate rules.
	Entra *Entra

	// The rest is what the catalogue test types and expects.

	// Fields are the values typed into the row's own fields (a subdomain).
	Fields map[string]string
	// AuthHost is the host the browser must be sent to, fields filled in.
	AuthHost string
	// Scope is typed into the Scope field when set (the row's default is
	// used otherwise).
	Scope string
	// Want are values the runtime API must hand out with the token.
	Want map[string]string
	// Account is how Test Connection must name the account.
	Account string
	// RefreshEnds is when the stored refresh token must run out, from the
	// grant (the vendor's own field says so, not the row's fallback).
	RefreshEnds time.Duration
}

// Options is the emulator configuration v describes.
func (v *Vendor) Options() Options {
	o := Options{AccessTTL: v.AccessTTL, RefreshTTL: v.RefreshTTL, RefreshReusable: v.Reusable, NoExpiresIn: v.NoExpiresIn || v.NeverExpires,
		ReuseRevokesGrant: v.ReuseRevokesGrant, Entra: v.Entra, AutoApprove: true, Vendor: v}
	if v.NeverExpires {
		o.AccessTTL = 100 * 365 * 24 * time.Hour
	}
	return o
}

// vendorRoute maps the vendor's paths onto the emulator's and answers its
// API endpoints; ok is false when it answered the request itself.
func (s *Server) vendorRoute(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	v := s.opts.Vendor
	if v == nil {
		return r, true
	}
	path := r.URL.Path
	switch {
	case strings.HasSuffix(path, "/authorize/decision") || v.AuthorizePath != "" && path == v.AuthorizePath+"/decision":
		// The consent page's form posts next to the vendor's path.
		path = "/authorize/decision"
	case v.AuthorizePath != "" && path == v.AuthorizePath:
		path = "/authorize"
	case v.TokenPath != "" && path == v.TokenPath:
		path = "/token"
	default:
		if tmpl, ok := v.Resources[r.Method+" "+path]; ok {
			s.resource(w, r, tmpl)
			return nil, false
		}
		return r, true
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = path
	return r2, true
}

// resource answers a vendor API endpoint for a valid token presented the
// vendor's way.
func (s *Server) resource(w http.ResponseWriter, r *http.Request, tmpl string) {
	v := s.opts.Vendor
	value := ""
	if v.TokenHeader != "" {
		value = r.Header.Get(v.TokenHeader)
	} else if scheme, bearer, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		value = strings.TrimSpace(bearer)
	}
	s.mu.Lock()
	t, ok := s.access[value]
	now := s.opts.Clock()
	u := s.opts.User
	valid := ok && !t.grant.revoked && now.Before(t.expires)
	s.mu.Unlock()
	if !valid && v.RefuseWith200 != "" {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, v.RefuseWith200)
		return
	}
	if !valid {
		where := "Authorization: Bearer"
		if v.TokenHeader != "" {
			where = v.TokenHeader
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="oauthtest", error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": "A valid access token is required in " + where + "."})
		return
	}
	body := strings.NewReplacer("{name}", u.Name, "{email}", u.Email, "{sub}", u.Sub, "{base}", s.base(r)).Replace(tmpl)
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, body)
}

// vendorAuthorize applies the vendor's rules to an authorization request:
// the scope as the vendor separates it, required parameters, PKCE. It
// returns the scope space-separated and whether a refresh token is to be
// given, or an error code and description.
func (v *Vendor) authorize(q url.Values) (scope string, offline bool, code, description string) {
	scope = q.Get("scope")
	if v.ScopeSeparator == "," {
		if strings.Contains(scope, " ") {
			return "", false, "invalid_scope", "Scopes are separated by commas."
		}
		scope = strings.ReplaceAll(scope, ",", " ")
	}
	for k, want := range v.RequireParams {
		if q.Get(k) != want {
			return "", false, "invalid_request", "The " + k + " parameter must be " + want + "."
		}
	}
	if v.PKCERequired && q.Get("code_challenge") == "" {
		return "", false, "invalid_request", "code_challenge is required."
	}
	offline = !v.NoRefresh
	for k, want := range v.OfflineParams {
		if q.Get(k) != want {
			offline = false
		}
	}
	if v.OfflineScope != "" && !strings.Contains(" "+scope+" ", " "+v.OfflineScope+" ") {
		offline = false
	}
	return scope, offline, "", ""
}

// readBody reads a token request the vendor's way: form-encoded, or JSON
// (Notion).
func (v *Vendor) readBody(r *http.Request) (url.Values, *tokenError) {
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	if !v.JSONBody {
		return nil, nil
	}
	if !strings.HasPrefix(ct, "application/json") {
		return nil, fail("invalid_request", "The request body must be JSON.")
	}
	var obj map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&obj); err != nil {
		return nil, fail("invalid_request", "The request body is not valid JSON.")
	}
	form := url.Values{}
	for k, x := range obj {
		if s, ok := x.(string); ok {
			form.Set(k, s)
		}
	}
	return form, nil
}

// writeAnswer writes a token answer the vendor's way: JSON, or
// form-encoded unless JSON was asked for (GitHub).
func (v *Vendor) writeAnswer(w http.ResponseWriter, r *http.Request, answer map[string]any) bool {
	if v == nil || !v.FormAnswer || strings.Contains(r.Header.Get("Accept"), "application/json") {
		return false
	}
	form := url.Values{}
	for k, x := range answer {
		switch y := x.(type) {
		case string:
			form.Set(k, y)
		case int:
			form.Set(k, itoa(y))
		}
	}
	w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, form.Encode())
	return true
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// withBase replaces "{base}" in the answer's strings, nested ones too.
func withBase(x any, base string) any {
	switch y := x.(type) {
	case string:
		return strings.ReplaceAll(y, "{base}", base)
	case map[string]any:
		out := make(map[string]any, len(y))
		for k, v := range y {
			out[k] = withBase(v, base)
		}
		return out
	}
	return x
}
