package provider

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// Action is what a provider's button does (Get OAuth 2.0 Access Token,
// Test Connection). It works on the values in the form, saves nothing, and
// reports every step it took.
type Action func(ctx context.Context, env Env, values map[string]string) Result

// Env is where providers are reached: the base URLs the providers declare
// (BaseURL), as configured; the real services are the defaults and the
// emulators replace them in tests and the demo.
type Env struct {
	HTTP *http.Client
	// URLs are the configured base URLs by BaseURL.Name; a name missing
	// (or "") means the declared default.
	URLs map[string]string
	Now  func() time.Time
}

// URL is the configured base URL declared as name, without a trailing
// slash; "" when none is configured (the provider's default applies).
func (e Env) URL(name string) string { return strings.TrimRight(e.URLs[name], "/") }

// Result is an action's outcome as a person should see it.
type Result struct {
	OK      bool
	Summary string
	// Warning qualifies a success: what worked, but not entirely.
	Warning string
	Steps   []Step
	// Grant is the token obtained, if the action obtains one.
	Grant *Grant
	// Untested: there was nothing to test yet (no access token before the
	// person consents), so Save says nothing of a test.
	Untested bool
}

// Step is one thing an action did.
type Step struct {
	Text string
	OK   bool
	Took time.Duration
}

// Grant is an OAuth 2.0 access token obtained from a provider: the one
// form of an obtained token from the provider's answer through the form
// that has not been saved yet to the store. Where a provider keeps its
// parts is the provider's Tokens declaration.
type Grant struct {
	AccessToken  string    `json:"a"`
	RefreshToken string    `json:"r,omitempty"`
	ExpiresAt    time.Time `json:"x"`
	// Extra are non-secret values the service gave with the token that
	// consumers need to use it (Zoom's api_url), by value key. They are
	// stored with the token and returned by the runtime API.
	Extra map[string]string `json:"e,omitempty"`
	// RefreshExpiresAt is when the refresh token runs out, where the
	// service says (refresh_token_expires_in) or the provider knows it.
	// A grant without a refresh token that nothing can renew sets it to
	// when the grant ends (its access token's expiry): the token then
	// warns "Reconnect within N days" and needs a reconnect from then.
	RefreshExpiresAt time.Time `json:"rx,omitzero"`
}

// Renewer obtains a new grant from a token's stored values. Its error
// message must be fit for a person and free of secrets.
type Renewer func(ctx context.Context, env Env, values map[string]string) (Grant, error)

// Credential is what a process receives when it fetches a token at run time.
type Credential struct {
	AccessToken string
	TokenType   string
	ExpiresAt   time.Time
}
