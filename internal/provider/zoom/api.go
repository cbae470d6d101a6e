package zoom

import (
	"strings"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// s2sAPI is where the proxy sends calls with a Server-to-Server token:
// the api_url Zoom named with the token (a region's, kept with it), else
// the configured Zoom API; Zoom's REST API is under /v2.
var s2sAPI = &provider.API{Base: func(env provider.Env, values map[string]string) (string, bool) {
	base := strings.TrimRight(values[KeyAPIURL], "/")
	if base == "" {
		base = env.URL(API.Name)
	}
	if base == "" {
		base = APIURL
	}
	return base + "/v2", true
}}

func init() {
	S2SProvider.API = s2sAPI
	S2SProvider.Fields = append(S2SProvider.Fields, provider.ProxyOnlyField())
}
