package redoxtest

import (
	"fmt"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// Demo credentials the emulator accepts in `tokendesk emulate`. They reach
// nothing real.
const (
	DemoAPIKey       = "demo-redox-api-key"
	DemoSecret       = "demo-redox-secret"
	DemoClientID     = "demo-redox-client-id"
	DemoKeyID        = "demo-redox-kid"
	DemoSharedSecret = "demo-redox-shared-secret"
)

// Emulator is Redox's, as the registry lists it: it stands in for the Redox
// API (TOKENDESK_REDOX_URL) of both Redox providers.
var Emulator = provider.Emulator{
	Name:   "Redox",
	Serves: []string{"redox"},
	Paths:  []string{"/auth/", "/v2/auth/token", "/dashboard/", "/endpoint", "/query"},
	Demo: func(base, _ string) provider.Demo {
		s := New().AddKey(DemoAPIKey, DemoSecret).AddOAuthKey(DemoClientID, DemoKeyID, []byte(DemoSharedSecret))
		s.SetBaseURL(base)
		return provider.Demo{Handler: s, Close: s.Close, Help: fmt.Sprintf(
			`Redox                          API Key %[2]s   Secret %[3]s
Redox (OAuth 2.0)              Client ID %[4]s   Key ID %[5]s   Signing Method HS384, Shared Secret %[6]s
                               With an RS384/ES384 key pair, any Client ID: register the token's JWKS URL (shown on its page)
                               at %[1]s/dashboard/jwks, as in the Redox dashboard; until then Redox answers "Public key not found".`,
			base, DemoAPIKey, DemoSecret, DemoClientID, DemoKeyID, DemoSharedSecret)}
	},
}
