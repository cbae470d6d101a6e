package oauth

import (
	"github.com/tokendesk/tokendesk/internal/provider"
)

// KeyAPIBase is the generic form's API Base URL: where the proxy sends an
// app's calls with the token.
const KeyAPIBase = "api_base_url"

// apiBaseField is the generic form's API Base URL. It is an Endpoint: the
// proxy sends the access token there, so changing it asks for the
// credentials again (a designer cannot point a token at a server of theirs).
func apiBaseField() provider.Field {
	return provider.Field{
		Key: KeyAPIBase, Label: "API Base URL", Control: provider.Text, Credential: true, Endpoint: true, MaxLen: 2048,
		Check: checkURL, Placeholder: "https://",
		Help: "Optional. The service's API address (https://api.example.com/v1): apps call /api/v1/proxy/{token name}/… " +
			"and tokendesk forwards the call there with the access token, so the app never sees it.",
	}
}

// api is the proxy's declaration for a preset: its row's APIBase with
// {keys} filled from the token's values (and moved to the demo emulator),
// or the generic form's API Base URL; nil when it has neither.
func (c client) api() *provider.API {
	ps := c.preset
	if ps.ID == ID {
		return &provider.API{Fields: []string{KeyAPIBase}, Base: func(_ provider.Env, values map[string]string) (string, bool) {
			v := values[KeyAPIBase]
			return v, v != ""
		}}
	}
	if ps.APIBase == "" {
		return nil
	}
	var fields []string
	for _, m := range placeholder.FindAllStringSubmatch(ps.APIBase, -1) {
		fields = append(fields, ps.derivedFrom(m[1]))
	}
	return &provider.API{Fields: fields, Header: ps.Header, Base: func(_ provider.Env, values map[string]string) (string, bool) {
		base, ok := expandWith(ps.APIBase, ps.substituted(values), nil, ps.Subst)
		if !ok {
			return "", false
		}
		return c.demo(base), true
	}}
}

// derivedFrom is the stored value a {key} of the row's URLs is made from:
// the field a Derived key is filled from ({github_api} from GitHub Host),
// or the key itself.
func (ps Preset) derivedFrom(key string) string {
	for _, d := range ps.Derived {
		if d.Key == key {
			return d.From
		}
	}
	return key
}
