// Package zoom holds the Zoom providers: the documented JWT app screen (API
// Key and API Secret) and Server-to-Server OAuth, which replaced JWT apps in
// 2023, with their clients and (in zoomtest) an emulator of Zoom.
package zoom

import "github.com/tokendesk/tokendesk/internal/provider"

// ID is stored with every Zoom (JWT app) token.
const ID = "zoom"

// Zoom's addresses, which every Zoom provider (and the Zoom user OAuth
// preset) calls; TOKENDESK_ZOOM_API_URL and TOKENDESK_ZOOM_OAUTH_URL point
// them elsewhere.
var (
	API   = provider.BaseURL{Name: "zoom_api", Label: "Zoom API base URL", Default: APIURL}
	OAuth = provider.BaseURL{Name: "zoom_oauth", Label: "Zoom OAuth base URL", Default: OAuthURL}
)

// Keys of Zoom's own fields.
const (
	KeyAPIKey    = "api_key"
	KeyAPISecret = "api_secret"
)

// ActionTestConnection is the Test Connection button.
const ActionTestConnection = "test_connection"

// Provider is the screen documented in docs/screens.md (Zoom), in its order.
var Provider = provider.Provider{
	ID:      ID,
	Name:    "Zoom",
	Summary: "Configure an access token to connect to Zoom.",
	Detail: "Retired by Zoom in 2023: Zoom refuses every JWT app token since September 2023. " +
		"Kept for the documented screen and existing tokens; use Zoom (Server-to-Server OAuth) for new ones.",
	Retired:  "Retired by Zoom",
	BaseURLs: []provider.BaseURL{API, OAuth},
	Notice: "Zoom retired JWT apps in 2023 and now refuses the tokens signed with an API Key and API Secret. " +
		"Create a Server-to-Server OAuth app in the Zoom App Marketplace and add a \"Zoom (Server-to-Server OAuth)\" token instead.",
	Fields: []provider.Field{
		provider.NameField("Specifies the unique name for your connection to Zoom service."),
		provider.DescriptionField(),
		{
			Key: KeyAPIKey, Label: "API Key", Control: provider.Text, Required: true, Credential: true, MaxLen: 256,
			Help: "Specifies the API key to call the Zoom service.",
			Note: "A valid Zoom API key.",
		},
		{
			Key: KeyAPISecret, Label: "API Secret", Control: provider.Password, Required: true, Secret: true, Credential: true, MaxLen: 512,
			Help: "Specifies the API secret to call the Zoom service.",
			Note: "The Zoom API secret for your account.",
		},
		{
			Key: ActionTestConnection, Label: "Test Connection", Control: provider.Button, Action: ActionTestConnection,
			Help: "Makes sure the specified Zoom account is correct.",
		},
		provider.EncryptField("Stores the access token in the tokendesk database as encrypted data."),
	},
	// No runtime credential: a JWT signed for a consumer would be refused
	// by Zoom (code 124), so the runtime API says the token is retired.
	Actions: map[string]provider.Action{ActionTestConnection: testJWT},
}
