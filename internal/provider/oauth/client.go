package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tokendesk/tokendesk/internal/netguard"
	"github.com/tokendesk/tokendesk/internal/provider"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// client speaks OAuth 2.0 for one preset through golang.org/x/oauth2:
// the authorization URL with its PKCE challenge, the code exchange, the
// client credentials grant and the refresh. Where x/oauth2 has no option
// (a client assertion on a refresh), it is noted where it is worked around.
type client struct {
	preset  Preset
	service string // the service's name; "" for the generic provider
	// vendors is the configured VendorsURL of the call ("": the real
	// vendors); see with.
	vendors string
}

// name is how messages name the service: the preset's name, or the token
// URL's host for the generic provider.
func (c client) name(values map[string]string) string {
	if c.service != "" {
		return c.service
	}
	if u, err := url.Parse(values[KeyTokenURL]); err == nil && u.Host != "" {
		return u.Host
	}
	return "The OAuth 2.0 service"
}

func now(env provider.Env) time.Time {
	if env.Now != nil {
		return env.Now()
	}
	return time.Now()
}

// config is the x/oauth2 configuration the values describe.
func (c client) config(values map[string]string, redirectURI string) *oauth2.Config {
	style, secret := oauth2.AuthStyleInHeader, values[KeyClientSecret]
	switch values[KeyClientAuth] {
	case AuthPost:
		style = oauth2.AuthStyleInParams
	case AuthJWT:
		// x/oauth2 then sends client_id alone in the body; the assertion
		// goes beside it.
		style, secret = oauth2.AuthStyleInParams, ""
	}
	return &oauth2.Config{
		ClientID:     values[KeyClientID],
		ClientSecret: secret,
		Endpoint:     oauth2.Endpoint{AuthURL: values[KeyAuthURL], TokenURL: values[KeyTokenURL], AuthStyle: style},
		RedirectURL:  redirectURI,
		Scopes:       c.scopes(values),
	}
}

func pkce(values map[string]string) bool { return values[KeyPKCE] != "" }

// resolved is values with the Authorization and Token URLs the preset
// makes of them (a tenant, a region, an emulator): the ones requests go to.
func (c client) resolved(env provider.Env, values map[string]string) map[string]string {
	if c.preset.Endpoints == nil && c.demoBase() == "" {
		return values
	}
	out := make(map[string]string, len(values))
	for k, v := range values {
		out[k] = v
	}
	if c.preset.Endpoints != nil {
		out[KeyAuthURL], out[KeyTokenURL] = c.preset.Endpoints(env, values)
	}
	out[KeyAuthURL], out[KeyTokenURL] = c.demo(out[KeyAuthURL]), c.demo(out[KeyTokenURL])
	return out
}

// authURL is where the browser goes to sign in and consent.
func (c client) authURL(env provider.Env, values map[string]string, redirectURI, state, verifier string) (string, error) {
	values = c.resolved(env, values)
	if msg := checkURL(values[KeyAuthURL]); msg != "" {
		return "", errors.New("Authorization URL: " + msg)
	}
	params, err := parseParams(values[KeyParams])
	if err != nil {
		return "", fmt.Errorf("Additional Parameters: %w", err)
	}
	var opts []oauth2.AuthCodeOption
	for _, p := range params {
		opts = append(opts, oauth2.SetAuthURLParam(p[0], p[1]))
	}
	if a := values[KeyAudience]; a != "" {
		opts = append(opts, oauth2.SetAuthURLParam("audience", a))
	}
	if pkce(values) {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	if sc := c.joinedScope(values); sc != "" {
		opts = append(opts, oauth2.SetAuthURLParam("scope", sc))
	}
	return c.config(values, redirectURI).AuthCodeURL(state, opts...), nil
}

// httpContext hands x/oauth2 the provider's HTTP client (the emulators'
// in tests), wrapped so that every token request of a private_key_jwt
// client carries a fresh assertion.
func (c client) httpContext(ctx context.Context, env provider.Env, values map[string]string) (context.Context, error) {
	hc := env.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: provider.DefaultTimeout}
	}
	if values[KeyClientAuth] == AuthJWT {
		if _, err := parsePrivateKey(values[KeyPrivateKey]); err != nil {
			return nil, errNoKeyPair
		}
		base := hc.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		wrapped := *hc
		wrapped.Transport = &assertionTransport{base: base, values: values, now: func() time.Time { return now(env) }}
		hc = &wrapped
	}
	if c.preset.JSONBody {
		hc = withJSONBody(hc)
	}
	// Every URL here was typed on a form (a preset's are defaults that can
	// be edited): the provider client keeps such calls off private
	// addresses unless an administrator allows them.
	return context.WithValue(netguard.Guard(ctx), oauth2.HTTPClient, hc), nil
}

var errNoKeyPair = errors.New("This token has no key pair yet: press Save, register the public key (or the JWKS URL) shown on its page at the service, then try again.")

// assertionTransport adds an RFC 7523 client assertion to token requests.
// x/oauth2 takes extra parameters on Exchange (SetAuthURLParam) and on
// client credentials (EndpointParams) but not on a refresh, so the one
// place that signs is here, for all three.
type assertionTransport struct {
	base   http.RoundTripper
	values map[string]string
	now    func() time.Time
}

func (t *assertionTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || req.Body == nil {
		return t.base.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	assertion, err := signAssertion(t.values, req.URL.String(), t.now())
	if err != nil {
		return nil, err
	}
	form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
	form.Set("client_assertion", assertion)
	enc := form.Encode()
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(strings.NewReader(enc))
	r.ContentLength = int64(len(enc))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(enc)), nil }
	return t.base.RoundTrip(r)
}

// exchange trades an authorization code for a grant.
func (c client) exchange(ctx context.Context, env provider.Env, values map[string]string, redirectURI, code, verifier string) (provider.Grant, error) {
	values = c.resolved(env, values)
	hctx, err := c.httpContext(ctx, env, values)
	if err != nil {
		return provider.Grant{}, err
	}
	var opts []oauth2.AuthCodeOption
	if pkce(values) {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	tok, err := c.config(values, redirectURI).Exchange(hctx, code, opts...)
	if err != nil {
		return provider.Grant{}, c.problem(ctx, env, values, err, "exchange", code)
	}
	g := c.grant(tok, values, "", now(env))
	if err := c.connected(ctx, env, values, &g); err != nil {
		return provider.Grant{}, err
	}
	return c.ends(values, c.timed(ctx, env, values, g)), nil
}

// clientCredentials asks for a token with the client's own credentials.
func (c client) clientCredentials(ctx context.Context, env provider.Env, values map[string]string) (provider.Grant, error) {
	if c.preset.NoClientCredentials {
		return provider.Grant{}, fmt.Errorf("%s has no Client Credentials grant: choose Authorization Code.", c.name(values))
	}
	if check := c.preset.ClientCredentialsCheck; check != nil {
		if msg := check(values); msg != "" {
			return provider.Grant{}, errors.New(msg)
		}
	}
	values = c.resolved(env, values)
	if msg := checkURL(values[KeyTokenURL]); msg != "" {
		return provider.Grant{}, errors.New("Token URL: " + msg)
	}
	params, err := parseParams(values[KeyParams])
	if err != nil {
		return provider.Grant{}, fmt.Errorf("Additional Parameters: %w", err)
	}
	hctx, err := c.httpContext(ctx, env, values)
	if err != nil {
		return provider.Grant{}, err
	}
	conf := c.config(values, "")
	cc := clientcredentials.Config{ClientID: conf.ClientID, ClientSecret: conf.ClientSecret, TokenURL: conf.Endpoint.TokenURL,
		Scopes: conf.Scopes, AuthStyle: conf.Endpoint.AuthStyle, EndpointParams: url.Values{}}
	for _, p := range params {
		cc.EndpointParams.Add(p[0], p[1])
	}
	if a := values[KeyAudience]; a != "" {
		cc.EndpointParams.Set("audience", a)
	}
	if sc := c.joinedScope(values); sc != "" {
		cc.EndpointParams.Set("scope", sc)
	}
	tok, err := cc.Token(hctx)
	if err != nil {
		return provider.Grant{}, c.problem(ctx, env, values, err, "client_credentials")
	}
	return c.timed(ctx, env, values, c.grant(tok, values, "", now(env))), nil
}

// refresh spends the stored refresh token for a new grant. A service that
// rotates refresh tokens answers with a new one, which the grant carries
// so that the store keeps it in the same write as its access token.
func (c client) refresh(ctx context.Context, env provider.Env, values map[string]string) (provider.Grant, error) {
	values = c.resolved(env, values)
	hctx, err := c.httpContext(ctx, env, values)
	if err != nil {
		return provider.Grant{}, err
	}
	old := values[KeyRefreshToken]
	// An empty access token makes x/oauth2 refresh at once, whatever the
	// clock says.
	tok, err := c.config(values, "").TokenSource(hctx, &oauth2.Token{RefreshToken: old}).Token()
	if err != nil {
		return provider.Grant{}, c.problem(ctx, env, values, err, "refresh", old)
	}
	return c.timed(ctx, env, values, c.grant(tok, values, old, now(env))), nil
}

// renew is the renewal worker's call: client credentials ask again, the
// authorization code's grant is refreshed. Without a refresh token only a
// person consenting again can renew it.
func (c client) renew(ctx context.Context, env provider.Env, values map[string]string) (provider.Grant, error) {
	if values[KeyGrantType] == GrantClientCredentials {
		return c.clientCredentials(ctx, env, values)
	}
	if values[KeyRefreshToken] == "" && c.preset.NoExpiry {
		return c.stillWorks(ctx, env, values)
	}
	if end, ok := grantEnds(values); ok && values[KeyRefreshToken] == "" && now(env).Before(end) {
		return c.keep(ctx, env, values, end)
	}
	if values[KeyRefreshToken] == "" {
		return provider.Grant{}, &provider.ReconnectError{Message: c.name(values) + " gave no refresh token with this access token, so tokendesk cannot renew it: " +
			"press Reconnect to sign in and consent again (some services give one only when asked: see Scope and Additional Parameters)."}
	}
	return c.refresh(ctx, env, values)
}

// grant turns x/oauth2's token into tokendesk's, timed by the injected
// clock (x/oauth2 computes Expiry from the wall clock). old is the refresh
// token spent: x/oauth2 hands it back when the answer had none, and an
// unchanged refresh token keeps its stored expiry.
func (c client) grant(tok *oauth2.Token, values map[string]string, old string, at time.Time) provider.Grant {
	g := provider.Grant{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken}
	if g.RefreshToken == old {
		g.RefreshToken = ""
	}
	if secs := seconds(tok.Extra("expires_in")); secs > 0 {
		g.ExpiresAt = at.Add(secs).UTC()
	} else if tok.ExpiresIn > 0 {
		g.ExpiresAt = at.Add(time.Duration(tok.ExpiresIn) * time.Second).UTC()
	}
	if g.RefreshToken != "" {
		if secs := seconds(tok.Extra(c.preset.refreshExpiresField())); secs > 0 {
			g.RefreshExpiresAt = at.Add(secs).UTC()
		} else if c.preset.RefreshLifetime > 0 {
			g.RefreshExpiresAt = at.Add(c.preset.RefreshLifetime).UTC()
		}
	}
	for _, k := range c.preset.Keep {
		if v, ok := tok.Extra(k).(string); ok && v != "" {
			if g.Extra == nil {
				g.Extra = map[string]string{}
			}
			g.Extra[k] = v
		}
	}
	c.fromAnswer(tok, &g)
	return g
}

// seconds reads a JSON number of seconds (some services send a string).
func seconds(v any) time.Duration {
	var n float64
	switch x := v.(type) {
	case float64:
		n = x
	case string:
		fmt.Sscan(x, &n)
	}
	if n <= 0 || n > 1e10 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// problem words a failed token request for a person. Nothing the service
// said is quoted without Redact; no secret reaches the message.
func (c client) problem(ctx context.Context, env provider.Env, values map[string]string, err error, step string, secrets ...string) error {
	svc := c.name(values)
	host := ""
	if u, perr := url.Parse(values[KeyTokenURL]); perr == nil {
		host = u.Host
	}
	// Every secret of the token: a service may echo any of them back.
	secrets = append(secrets, values[KeyClientSecret], values[KeyRefreshToken], values[KeyAccessToken], values[KeyPrivateKey])
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		if errors.Is(err, errNoKeyPair) {
			return err
		}
		msg := fmt.Sprintf("%s could not be reached at %s: check the Token URL and that the service is up.", svc, host)
		if svc == host {
			// The generic provider is named by its host already.
			msg = fmt.Sprintf("%s could not be reached: check the Token URL and that the service is up.", svc)
		}
		if errors.Is(err, netguard.ErrBlocked) {
			// The same words whatever listens at that address, or not.
			msg = fmt.Sprintf("%s is not called at %s: that address is on this machine or a private network, which tokendesk does not call for a typed URL unless an administrator allows private addresses in Settings.", svc, host)
			if svc == host {
				msg = fmt.Sprintf("%s is not called: that address is on this machine or a private network, which tokendesk does not call for a typed URL unless an administrator allows private addresses in Settings.", svc)
			}
		} else if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			msg = fmt.Sprintf("%s did not answer in time (%s).", svc, host)
			if svc == host {
				msg = fmt.Sprintf("%s did not answer in time.", svc)
			}
		} else if strings.Contains(err.Error(), "missing access_token") {
			msg = fmt.Sprintf("%s answered without an access token.", svc)
		}
		return &provider.CallError{Service: svc, Host: host, Message: msg}
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	if status == http.StatusTooManyRequests {
		wait := provider.ParseRetryAfter(re.Response.Header.Get("Retry-After"), now(env))
		return &provider.CallError{Service: svc, Host: host, Status: status, RetryAfter: wait,
			Message: fmt.Sprintf("%s is limiting requests; try again in %s.", svc, provider.FormatWait(wait))}
	}
	if status >= 500 || !oauthErrorJSON(re) {
		return &provider.CallError{Service: svc, Host: host, Status: status, Message: provider.StatusProblem(svc, status)}
	}
	desc := re.ErrorDescription
	if desc == "" {
		// Zoom words its errors in reason, not error_description.
		desc = serviceSaid(re.Body)
	}
	said := ""
	if desc != "" {
		said = provider.Said(desc, secrets...)
	}
	code := provider.Redact(re.ErrorCode, secrets...)
	var msg string
	switch {
	case re.ErrorCode == "invalid_client" && values[KeyClientAuth] == AuthJWT && mentionsAlg(desc):
		// The signature's algorithm, not the Client Secret (which a signed
		// JWT does not use), is what the service refused.
		msg = fmt.Sprintf("%s refused the signed JWT's algorithm %s (invalid_client, HTTP %d): choose the Signing Algorithm the app is registered with at the service "+
			"(most accept RS256), save, and register the new key if the page shows one.", svc, signingAlg(values), status)
	case needsPerson[re.ErrorCode] && step == "refresh":
		// Only a person signing in again can satisfy these; retrying
		// would back off for ever.
		return &provider.ReconnectError{Message: fmt.Sprintf("%s needs a person to sign in again (%s): press Reconnect on the token's page to sign in and consent again.%s", svc, code, said)}
	case needsPerson[re.ErrorCode]:
		msg = fmt.Sprintf("%s needs a person to sign in (%s, HTTP %d): use the Authorization Code grant and press Get OAuth 2.0 Access Token.", svc, code, status)
	case re.ErrorCode == "invalid_client" && values[KeyClientAuth] == AuthJWT:
		// A signed JWT uses no Client Secret: what the service did not take
		// is the key (or certificate) it was to verify the signature with.
		msg = fmt.Sprintf("%s did not accept the signed JWT (invalid_client, HTTP %d): check the Client ID, and that the public key, JWKS URL or certificate "+
			"shown on the token's page is registered for the app at the service.", svc, status)
	case re.ErrorCode == "invalid_client":
		msg = fmt.Sprintf("%s did not accept the client (invalid_client, HTTP %d): check the Client ID, the Client Secret and the Client Authentication the app is registered with.", svc, status)
	case re.ErrorCode == "invalid_grant" && step == "refresh":
		return &provider.ReconnectError{Message: fmt.Sprintf("%s no longer accepts the refresh token (invalid_grant): the consent was revoked, or the refresh token expired or was replaced. "+
			"Press Reconnect on the token's page to sign in and consent again.%s", svc, said)}
	case re.ErrorCode == "invalid_grant" && step == "exchange":
		msg = fmt.Sprintf("%s refused the authorization code (invalid_grant, HTTP %d): it expired or was used already, or the Redirect URI registered at the service is not the one shown here. "+
			"Press Get OAuth 2.0 Access Token to try again.", svc, status)
	case re.ErrorCode == "unauthorized_client":
		msg = fmt.Sprintf("%s does not allow this app the %s grant (unauthorized_client): enable it in the app's settings at the service, or choose the other Grant Type.", svc, grantLabel(values))
	case re.ErrorCode == "invalid_scope":
		msg = fmt.Sprintf("%s refused the Scope (invalid_scope): check the scopes the app may ask for.", svc)
	default:
		msg = fmt.Sprintf("%s refused the request (%s, HTTP %d).", svc, code, status)
	}
	return &provider.CallError{Service: svc, Host: host, Status: status, Message: msg + said}
}

// needsPerson are the errors (OpenID Connect Core §3.1.2.6, as Microsoft
// Entra answers a refresh) that only a person signing in again resolves.
var needsPerson = map[string]bool{"interaction_required": true, "consent_required": true, "login_required": true}

// mentionsAlg reports whether a refusal speaks of the JWT's algorithm
// ("alg mismatch", "unsupported alg", AADSTS's "algorithm").
func mentionsAlg(desc string) bool {
	d := strings.ToLower(desc)
	for _, w := range strings.FieldsFunc(d, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) {
		if w == "alg" || w == "algorithm" || w == "algorithms" {
			return true
		}
	}
	return false
}

// oauthErrorJSON reports whether a refusal is an OAuth 2.0 error answer
// (RFC 6749 §5.2: JSON with an error code). Only such an answer's code
// and description are quoted: anything else (an HTML page, text, a form
// an internal service answered with) is named by its status alone, so a
// Token URL aimed at another server cannot read that server's answers.
func oauthErrorJSON(re *oauth2.RetrieveError) bool {
	if re.Response == nil || re.ErrorCode == "" || len(re.ErrorCode) > 64 {
		return false
	}
	if mt, _, _ := mime.ParseMediaType(re.Response.Header.Get("Content-Type")); mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return false
	}
	for _, r := range re.ErrorCode {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

func grantLabel(values map[string]string) string {
	if values[KeyGrantType] == GrantClientCredentials {
		return "Client Credentials"
	}
	return "Authorization Code"
}

// getToken is the Get OAuth 2.0 Access Token button for the grants the
// server obtains itself (client credentials). The authorization code goes
// through the browser instead (Consent), never through here.
func (c client) getToken(ctx context.Context, env provider.Env, values map[string]string) provider.Result {
	if values[KeyGrantType] != GrantClientCredentials {
		return provider.Result{Summary: "The Authorization Code grant needs your browser: press Get OAuth 2.0 Access Token on the form."}
	}
	start := now(env)
	svc := c.name(values)
	how := map[string]string{AuthBasic: "HTTP Basic", AuthPost: "the client secret in the request body", AuthJWT: "a signed JWT (private_key_jwt)"}[values[KeyClientAuth]]
	step := provider.Step{Text: fmt.Sprintf("Asked %s for an access token with client credentials, authenticating with %s", svc, how)}
	g, err := c.clientCredentials(ctx, env, values)
	step.Took = now(env).Sub(start)
	res := provider.Result{}
	if err != nil {
		res.Steps = []provider.Step{step}
		res.Summary = err.Error()
		return res
	}
	step.OK = true
	res.OK = true
	res.Steps = []provider.Step{step}
	if g.ExpiresAt.IsZero() {
		res.Summary = "Obtained an OAuth 2.0 access token from " + svc + ". Press Save to keep it."
	} else {
		until := g.ExpiresAt.Format("2006-01-02 15:04:05 UTC")
		res.Steps = append(res.Steps, provider.Step{Text: "Received an access token valid until " + until, OK: true})
		res.Summary = "Obtained an OAuth 2.0 access token from " + svc + ", valid until " + until + ". Press Save to keep it."
	}
	res.Grant = &g
	return res
}
