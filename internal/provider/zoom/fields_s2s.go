package zoom

import (
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/token"
)

// S2SID is stored with every Zoom Server-to-Server OAuth token.
const S2SID = "zoom-s2s"

// Keys of the Server-to-Server fields.
const (
	KeyAccountID    = "account_id"
	KeyClientID     = "client_id"
	KeyClientSecret = "client_secret"
	KeyAccessToken  = "access_token"
	KeyRegion       = "region"
	// KeyAPIURL keeps the api_url of the last token obtained.
	KeyAPIURL = "api_url"
)

// Zoom's clouds: the commercial one and ZoomGov (docs/provider-apis.md, Zoom Server-to-Server OAuth).
const (
	RegionZoom    = "zoom"
	RegionZoomGov = "zoomgov"
)

// ActionGetToken is the Get OAuth 2.0 Access Token button.
const ActionGetToken = "get_token"

// S2SProvider is Zoom's current authentication method. Zoom stopped JWT
// apps in 2023 (docs/provider-apis.md, Zoom JWT app); its replacement obtains an
// hour-long token with account credentials, which tokendesk renews.
var S2SProvider = provider.Provider{
	ID:      S2SID,
	Name:    "Zoom (Server-to-Server OAuth)",
	Summary: "Configure an access token to connect to Zoom with a Server-to-Server OAuth app.",
	Detail: "Zoom retired JWT apps (API Key and API Secret) in 2023. Server-to-Server OAuth apps are their replacement: " +
		"an Account ID, Client ID and Client Secret obtain an access token that lasts one hour and is renewed on a schedule.",
	BaseURLs: []provider.BaseURL{API, OAuth},
	Fields: []provider.Field{
		provider.NameField("Specifies the unique name for your connection to Zoom service."),
		provider.DescriptionField(),
		{
			Key: KeyRegion, Label: "Region", Control: provider.Select, Credential: true,
			Options: []provider.Option{{Value: RegionZoom, Label: "Zoom"}, {Value: RegionZoomGov, Label: "ZoomGov"}},
			Default: RegionZoom,
			Help:    "Specifies the Zoom cloud of your account: Zoom (zoom.us) or ZoomGov (zoomgov.com).",
		},
		{
			Key: KeyAccountID, Label: "Account ID", Control: provider.Text, Required: true, Credential: true, MaxLen: 128,
			Help: "Specifies the Account ID of your Zoom Server-to-Server OAuth app.",
			Note: "Shown on the app's App Credentials page in the Zoom App Marketplace. Zoom retired JWT apps in 2023; this is their replacement.",
		},
		{
			Key: KeyClientID, Label: "Client ID", Control: provider.Text, Required: true, Credential: true, MaxLen: 256,
			Help: "Specifies the Client ID of your Zoom Server-to-Server OAuth app.",
		},
		{
			Key: KeyClientSecret, Label: "Client Secret", Control: provider.Password, Required: true, Secret: true, Credential: true, MaxLen: 512,
			Help: "Specifies the Client Secret of your Zoom Server-to-Server OAuth app.",
		},
		{
			Key: KeyAccessToken, Label: "OAuth 2.0 Access Token", Control: provider.Password, Secret: true, Credential: true, MaxLen: 4096,
			Help: "Specifies an OAuth 2.0 access token from Zoom.",
			Note: "An OAuth 2.0 access token. This value comes from Zoom and lasts one hour.",
		},
		{
			Key: ActionGetToken, Label: "Get OAuth 2.0 Access Token", Control: provider.Button, Action: ActionGetToken,
			Help: "Sends a request to the Zoom service to get the OAuth 2.0 access token.",
		},
		{
			Key: ActionTestConnection, Label: "Test Connection", Control: provider.Button, Action: ActionTestConnection,
			Help: "Makes sure the specified Zoom account is correct.",
		},
		token.RenewalRateField("1h", token.Disabled, "15m", "30m", "1h"),
	},
	Actions:  map[string]provider.Action{ActionGetToken: getS2SToken, ActionTestConnection: testS2S},
	SaveTest: ActionTestConnection,
	Tokens:   provider.TokenFields{Access: KeyAccessToken, Answer: []string{KeyAPIURL}},
	Renew:    renewS2S,
}
