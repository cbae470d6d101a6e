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
	Label   string
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
