// Package registry lists the providers tokendesk knows. Adding a provider is
// its own folder under internal/provider plus one line here.
package registry

import (
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/oauth"
	"github.com/tokendesk/tokendesk/internal/provider/redox"
	"github.com/tokendesk/tokendesk/internal/provider/redoxoauth"
	"github.com/tokendesk/tokendesk/internal/provider/zoom"
)

var all = append([]provider.Provider{
	redox.Provider,
	redoxoauth.Provider,
	zoom.S2SProvider, // Zoom's current method comes before the retired JWT app
	zoom.Provider,
}, oauth.Providers()...) // OAuth 2.0, then its presets by service name

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
