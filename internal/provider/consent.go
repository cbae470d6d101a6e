package provider

import "context"

// Consent is how a provider obtains a token through the person's browser
// (the OAuth 2.0 authorization-code grant): tokendesk sends the browser to
// the service with a state and a PKCE challenge, the service sends it back
// to tokendesk's callback with a code, and the code is exchanged here.
type Consent struct {
	// Needed reports whether the values ask for consent in the browser;
	// false means the button obtains the token from the server (client
	// credentials), as any other provider's button does.
	Needed func(values map[string]string) bool
	// URL is where to send the browser: the authorization URL with the
	// state, the S256 challenge of verifier and the provider's own
	// parameters, at the endpoints env says (an emulator standing in for
	// the vendor). Its error is a message for the person.
	URL func(env Env, values map[string]string, redirectURI, state, verifier string) (string, error)
	// Exchange trades the code the callback received for a grant.
	Exchange func(ctx context.Context, env Env, values map[string]string, redirectURI, code, verifier string) (Grant, error)
	// Callback names the callback's query parameters, beside code and
	// state, that the exchange needs (QuickBooks' realmId): the callback
	// hands each to Exchange in values under CallbackKey(name).
	Callback []string
}

// CallbackKey is where Exchange finds a callback parameter of Consent.Callback.
func CallbackKey(name string) string { return "callback:" + name }

// ReconnectError is a renewal the service refused for good: the grant is
// gone (invalid_grant on refresh, a revoked consent), and only a person
// going through consent again restores it. Renewals stop until then.
type ReconnectError struct{ Message string }

func (e *ReconnectError) Error() string { return e.Message }
