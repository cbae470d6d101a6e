package zoom

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// The real services' URLs, per region.
const (
	APIURL      = "https://api.zoom.us"
	OAuthURL    = "https://zoom.us"
	GovAPIURL   = "https://api.zoomgov.com"
	GovOAuthURL = "https://zoomgov.com"
)

// clientFor reaches the token's region, unless TOKENDESK_ZOOM_*_URL point
// the process elsewhere (an emulator, a test).
func clientFor(env provider.Env, values map[string]string) *Client {
	c := &Client{APIURL: env.URL(API.Name), OAuthURL: env.URL(OAuth.Name), HTTP: env.HTTP}
	defaults := (c.APIURL == "" || strings.TrimRight(c.APIURL, "/") == APIURL) && (c.OAuthURL == "" || strings.TrimRight(c.OAuthURL, "/") == OAuthURL)
	switch {
	case defaults && values[KeyRegion] == RegionZoomGov:
		c.APIURL, c.OAuthURL = GovAPIURL, GovOAuthURL
	case defaults:
		c.APIURL, c.OAuthURL = APIURL, OAuthURL
	}
	return c
}

func now(env provider.Env) time.Time {
	if env.Now != nil {
		return env.Now()
	}
	return time.Now()
}

// testJWT is the JWT app's Test Connection: sign a 60-second token with
// the API Secret and ask Zoom who it belongs to.
func testJWT(ctx context.Context, env provider.Env, values map[string]string) provider.Result {
	key, secret := values[KeyAPIKey], values[KeyAPISecret]
	jwt, err := SignJWT(key, secret, now(env), JWTLifetime)
	if err != nil {
		return provider.Result{Summary: "Could not sign a token with this API Secret."}
	}
	res := provider.Result{Steps: []provider.Step{{Text: "Signed a JWT (HS256) with the API Secret, valid for 60 s", OK: true}}}
	u, steps, err := clientFor(env, values).Me(ctx, jwt, secret)
	res.Steps = append(res.Steps, steps...)
	var ce *provider.CallError
	switch {
	case errors.As(err, &ce) && ce.Code == codeInvalidToken:
		// Zoom's "Invalid access token." speaks of the JWT tokendesk signed,
		// not of anything the person typed.
		res.Summary = fmt.Sprintf("Zoom did not accept the token signed with this API Key and API Secret (code %d, HTTP %d). "+
			"Either value may be wrong, but Zoom retired JWT apps in 2023 and refuses every such token now: "+
			"use a Zoom (Server-to-Server OAuth) token instead.", ce.Code, ce.Status)
		return res
	case err != nil:
		res.Summary = err.Error()
		return res
	}
	return connected(res, u)
}

// Zoom's error codes (docs/provider-apis.md, Zoom JWT app).
const (
	codeInvalidToken = 124  // invalid or expired access token
	codeMissingScope = 4711 // valid token without the scopes the call needs
)

func connected(res provider.Result, u User) provider.Result {
	res.OK = true
	res.Steps = append(res.Steps,
		provider.Step{Text: "Authentication succeeded", OK: true},
		provider.Step{Text: "Zoom says these credentials belong to " + u.Describe(), OK: true})
	res.Summary = "Connected to Zoom as " + u.Describe() + "."
	return res
}

// getS2SToken is Server-to-Server OAuth's Get OAuth 2.0 Access Token.
func getS2SToken(ctx context.Context, env provider.Env, values map[string]string) provider.Result {
	tok, steps, err := clientFor(env, values).RequestAccountToken(ctx, now(env), values[KeyAccountID], values[KeyClientID], values[KeyClientSecret])
	res := provider.Result{Steps: steps}
	if err != nil {
		res.Summary = err.Error()
		return res
	}
	until := tok.ExpiresAt.Format("2006-01-02 15:04 UTC")
	res.OK = true
	res.Steps = append(res.Steps,
		provider.Step{Text: "Authentication succeeded: Zoom accepted the Client ID and Client Secret for this account", OK: true},
		// Zoom's scope text is quoted without the token's secrets: a service
		// that echoes what it was sent must not show them on the form.
		provider.Step{Text: "Received an access token valid until " + until + scopeNote(provider.Redact(tok.Scope, values[KeyClientSecret], tok.AccessToken)), OK: true})
	res.Summary = "Obtained an OAuth 2.0 access token from Zoom, valid until " + until + ". Press Save to keep it."
	res.Grant = grantOf(tok)
	return res
}

func scopeNote(scope string) string {
	if scope == "" {
		return ""
	}
	// Redacted inside the brackets: Redact trims, and the space before
	// them must stay ("UTC (scopes: …)").
	return " (scopes: " + provider.Redact(scope) + ")"
}

// testS2S is Server-to-Server OAuth's Test Connection: get a token with
// the form's credentials and ask Zoom who it belongs to. Nothing is kept.
func testS2S(ctx context.Context, env provider.Env, values map[string]string) provider.Result {
	c := clientFor(env, values)
	tok, steps, err := c.RequestAccountToken(ctx, now(env), values[KeyAccountID], values[KeyClientID], values[KeyClientSecret])
	res := provider.Result{Steps: steps}
	if err != nil {
		res.Summary = err.Error()
		return res
	}
	u, steps, err := c.Me(ctx, tok.AccessToken, values[KeyClientSecret])
	res.Steps = append(res.Steps, steps...)
	var ce *provider.CallError
	switch {
	case errors.As(err, &ce) && ce.Code == codeMissingScope:
		// The token is good: the app was built without user-read scopes.
		res.OK = true
		res.Steps = append(res.Steps, provider.Step{Text: "Authentication succeeded: Zoom issued an access token for these credentials", OK: true})
		res.Summary = "Connected to Zoom: the credentials are valid and an access token was obtained."
		res.Warning = "This app lacks a user-read scope (such as user:read:user:admin), so Zoom would not name the account; " +
			"add one in the Zoom App Marketplace if your processes read users."
		return res
	case err != nil:
		res.Summary = err.Error()
		return res
	}
	return connected(res, u)
}

// renewS2S requests a new account token: Server-to-Server OAuth has no
// refresh token, the same grant is simply asked again.
func renewS2S(ctx context.Context, env provider.Env, values map[string]string) (provider.Grant, error) {
	tok, _, err := clientFor(env, values).RequestAccountToken(ctx, now(env), values[KeyAccountID], values[KeyClientID], values[KeyClientSecret])
	if err != nil {
		return provider.Grant{}, err
	}
	return *grantOf(tok), nil
}

// grantOf keeps, with the token, the API URL consumers must call with it:
// a ZoomGov token is refused by api.zoom.us.
func grantOf(tok AccountToken) *provider.Grant {
	return &provider.Grant{AccessToken: tok.AccessToken, ExpiresAt: tok.ExpiresAt, Extra: map[string]string{KeyAPIURL: tok.APIURL}}
}
