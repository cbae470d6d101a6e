package provider

import (
	"net/http"
	"strings"
)

// BaseURL is a service address a provider declares: the real service's by
// default, overridable by configuration (TOKENDESK_<NAME>_URL, or the flag
// --<name>-url) to point the process at an emulator or a proxy. Providers
// of one vendor that share an address declare the same BaseURL.
type BaseURL struct {
	// Name is the key of Env.URLs: lower case, words joined by "_"
	// ("redox", "zoom_api"). It names the setting: TOKENDESK_REDOX_URL.
	Name string
	// Label says what it is, for --help ("Redox API base URL").
	Label string
	// Default is the real service's address; "" when the provider has no
	// one address (the OAuth catalogue's vendors each have their own):
	// then unset leaves every request where the provider sends it.
	Default string
}

// EnvVar is the environment variable that overrides the URL.
func (b BaseURL) EnvVar() string { return "TOKENDESK_" + strings.ToUpper(b.Name) + "_URL" }

// Flag is the serve flag (without dashes) that overrides the URL.
func (b BaseURL) Flag() string { return strings.ReplaceAll(b.Name, "_", "-") + "-url" }

// Emulator stands in for a vendor's service on one loopback port shared
// with the other emulators (tokendesk emulate, make demo): it serves the
// BaseURLs it names, and knows demo credentials that reach nothing real.
type Emulator struct {
	// Name is the vendor ("Redox").
	Name string
	// Serves are the BaseURL names the process points at the emulator.
	Serves []string
	// Paths are the http.ServeMux patterns it answers on the shared port;
	// with Prefix set, everything under Prefix (stripped) instead.
	Paths  []string
	Prefix string
	// Demo makes the emulator with its demo credentials, reachable at base
	// (Prefix included), for a console whose OAuth 2.0 redirect URI is
	// redirectURI. Its Help is what `tokendesk emulate` prints about it.
	Demo func(base, redirectURI string) Demo
}

// Demo is a running emulator with demo credentials.
type Demo struct {
	Handler http.Handler
	// Help lists the demo credentials and where to type them, one item a
	// line; base is already filled in.
	Help  string
	Close func()
}

// KeyPairs declares a provider's key pairs to the shared screens: which
// values hold the Key ID and the signing method, what a new key pair may
// be, and the words for the service that verifies the key. The key
// operations themselves are the Provider's PublicKeys, NewKeyPair,
// UseNewKey, KeyPublished and RetireKey.
type KeyPairs struct {
	// KeyID is the value holding the current key's Key ID.
	KeyID string
	// KeyIDMade: tokendesk makes the Key ID with the key pair (the page
	// shows it with a copy button); otherwise a person types it on the
	// form, as registered at the service.
	KeyIDMade bool
	// Method is the form field choosing how assertions are signed (""
	// when none): on a token whose key pair is registered it is changed
	// through "New key pair", not in place.
	Method string
	// SharedMethod is the Method value that signs with a shared secret,
	// no key pair ("" when there is none).
	SharedMethod string
	// NewMethods are what a new key pair may be ("New Signing Method");
	// the form adds "The same as now".
	NewMethods []Option
	// Service verifies the key ("Redox"); Where is where the key is
	// registered ("the Redox dashboard").
	Service, Where string
	// Register says how to register a new key before a first token can
	// be obtained, up to "under the Key ID …" ("In the Redox dashboard,
	// open this OAuth API key and add the JWKS URL below (or paste the
	// public key)").
	Register string
	// JWKSCache is how long the service may keep an old JWKS document
	// ("5 minutes"): a new key pair waits that long before it signs.
	JWKSCache string
}

// CanRotate reports whether p publishes a new key pair beside the current
// one ("New key pair", "Sign with the new key", "Retire").
func (p Provider) CanRotate() bool {
	return p.Keys != nil && p.PublicKeys != nil && p.NewKeyPair != nil && p.UseNewKey != nil && p.KeyPublished != nil && p.RetireKey != nil
}
