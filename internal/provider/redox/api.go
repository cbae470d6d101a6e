package redox

import "github.com/tokendesk/tokendesk/internal/provider"

// ProxyAPI is where the proxy sends calls with a Redox token: the
// configured Redox API (TOKENDESK_REDOX_URL), https://api.redoxengine.com
// by default.
var ProxyAPI = &provider.API{Base: func(env provider.Env, _ map[string]string) (string, bool) {
	if u := env.URL(API.Name); u != "" {
		return u, true
	}
	return API.Default, true
}}

func init() {
	// The documented screen keeps its documented fields: no "Only through
	// the proxy" here (Redox (OAuth 2.0), the current kind, has it).
	Provider.API = ProxyAPI
}
