package zoomtest

import (
	"fmt"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// Demo credentials the emulator accepts in `tokendesk emulate`. They reach
// nothing real.
const (
	DemoAPIKey           = "demo-zoom-api-key"
	DemoAPISecret        = "demo-zoom-api-secret"
	DemoAccount          = "demo-zoom-account"
	DemoClientID         = "demo-zoom-client-id"
	DemoClientSecret     = "demo-zoom-client-secret"
	DemoUserClientID     = "demo-zoom-user-client-id"
	DemoUserClientSecret = "demo-zoom-user-client-secret"
)

// Emulator is Zoom's, as the registry lists it: it stands in for Zoom's API
// and OAuth addresses (TOKENDESK_ZOOM_API_URL, TOKENDESK_ZOOM_OAUTH_URL) of
// the Zoom providers and the Zoom user OAuth preset.
var Emulator = provider.Emulator{
	Name:   "Zoom",
	Serves: []string{"zoom_api", "zoom_oauth"},
	Paths:  []string{"/oauth/token", "/oauth/authorize", "/v2/"},
	Demo: func(base, redirectURI string) provider.Demo {
		s := New().
			AddAccount(User{ID: "demo-user", FirstName: "Demo", LastName: "Admin", Email: "demo.admin@zoom.example", AccountID: DemoAccount}).
			AddJWTApp(DemoAccount, DemoAPIKey, DemoAPISecret).
			AddS2SApp(DemoAccount, DemoClientID, DemoClientSecret).
			AddUserApp(DemoAccount, DemoUserClientID, DemoUserClientSecret, redirectURI)
		s.SetBaseURL(base)
		return provider.Demo{Handler: s, Close: s.Close, Help: fmt.Sprintf(
			`Zoom (Server-to-Server OAuth)  Account ID %[2]s   Client ID %[3]s   Client Secret %[4]s
Zoom (JWT app)                 API Key %[5]s   API Secret %[6]s
                               (refused with code 124, as real Zoom has refused every JWT app since 2023)
Zoom user OAuth                Client ID %[7]s   Client Secret %[8]s
                               Authorization URL %[1]s/oauth/authorize   Token URL %[1]s/oauth/token
                               (or the preset's zoom.us URLs as they come: TOKENDESK_ZOOM_OAUTH_URL sends them here;
                               Test Connection names the Zoom user reached, through %[1]s/v2/users/me)`,
			base, DemoAccount, DemoClientID, DemoClientSecret, DemoAPIKey, DemoAPISecret, DemoUserClientID, DemoUserClientSecret)}
	},
}
