// Package registry lists the providers tokendesk knows. Adding a provider is
// its own folder under internal/provider plus one line here: its providers
// declare their fields, base URLs (overridable by configuration) and key-pair
// capability, and its emulator package declares the emulator that stands in
// for the service in `tokendesk emulate`, make demo and the tests.
package registry

import (
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/oauth"
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/provider/redox"
	"github.com/tokendesk/tokendesk/internal/provider/redox/redoxtest"
	"github.com/tokendesk/tokendesk/internal/provider/redoxoauth"
	"github.com/tokendesk/tokendesk/internal/provider/zoom"
	"github.com/tokendesk/tokendesk/internal/provider/zoom/zoomtest"
)

// vendor is one folder under internal/provider: its providers, in the
// order the picker shows them, and the emulator of its service (nil when
// another folder's emulator serves its base URLs).
type vendor struct {
	providers []provider.Provider
	emulator  *provider.Emulator
}

var vendors = []vendor{
	{[]provider.Provider{redox.Provider}, &redoxtest.Emulator},
	{[]provider.Provider{redoxoauth.Provider}, nil},                            // Redox's API: redoxtest
	{[]provider.Provider{zoom.S2SProvider, zoom.Provider}, &zoomtest.Emulator}, // Zoom's current method before the retired JWT app
	{oauth.Providers(), &oauthtest.Emulator},                                   // OAuth 2.0, then its presets by service name
}

var all = func() []provider.Provider {
	var out []provider.Provider
	for _, v := range vendors {
		out = append(out, v.providers...)
	}
	return out
}()

// All returns every provider, in the order the picker shows them.
func All() []provider.Provider { return all }

// ByID finds a provider by its stored identifier.
func ByID(id string) (provider.Provider, bool) {
	for _, p := range all {
		if p.ID == id {
			return p, true
		}
	}
	return provider.Provider{}, false
}

// Retired maps the providers whose vendor retired them to the status their
// tokens show ("Retired by Zoom").
func Retired() map[string]string {
	out := map[string]string{}
	for _, p := range all {
		if p.Retired != "" {
			out[p.ID] = p.Retired
		}
	}
	return out
}

// BaseURLs are the base URLs the providers declare, each once (providers
// of one vendor share theirs), in registry order: what configuration may
// override.
func BaseURLs() []provider.BaseURL {
	var out []provider.BaseURL
	seen := map[string]bool{}
	for _, p := range all {
		for _, b := range p.BaseURLs {
			if !seen[b.Name] {
				seen[b.Name] = true
				out = append(out, b)
			}
		}
	}
	return out
}

// Emulators are the registered vendors' emulators, in registry order.
func Emulators() []provider.Emulator {
	var out []provider.Emulator
	for _, v := range vendors {
		if v.emulator != nil {
			out = append(out, *v.emulator)
		}
	}
	return out
}
