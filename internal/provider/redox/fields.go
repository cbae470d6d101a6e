// Package redox is the Redox provider: its documented configuration screen,
// a client for Redox's legacy API-key authentication, and (in redoxtest) an
// emulator of it.
package redox

import (
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/token"
)

// ID is stored with every Redox token.
const ID = "redox"

// API is Redox's API, which both Redox providers call; TOKENDESK_REDOX_URL
// points it elsewhere.
var API = provider.BaseURL{Name: "redox", Label: "Redox API base URL", Default: "https://api.redoxengine.com"}

// Keys of Redox's own fields.
const (
	KeyEnvironment = "environment"
	KeyAPIKey      = "api_key"
	KeySecret      = "secret"
	KeyAccessToken = "access_token"
	KeyRefresh     = "refresh_token"
)

// Provider is the screen documented in docs/screens.md (Redox), in its order.
var Provider = provider.Provider{
	ID:       ID,
	Name:     "Redox",
	Summary:  "Configure an access token to connect to Redox.",
	Detail:   "Healthcare data exchange. Uses a Redox API key and secret to obtain an OAuth 2.0 access token that is renewed on a schedule.",
	BaseURLs: []provider.BaseURL{API},
	Fields: []provider.Field{
		provider.NameField("Specifies the unique name for your connection to Redox."),
		provider.DescriptionField(),
		EnvironmentField(),
		{
			Key: KeyAPIKey, Label: "API Key", Control: provider.Text, Required: true, Credential: true, MaxLen: 256,
			Help: "Specifies the API key to call the Redox service.",
			Note: "Once you sign in to Redox, your API key shows.",
		},
		{
			Key: KeySecret, Label: "Secret", Control: provider.Password, Required: true, Secret: true, Credential: true, MaxLen: 512,
			Help: "Specifies the API secret to call the Redox service.",
			Note: "Once you sign in to Redox, your API secret shows.",
		},
		{
			Key: KeyAccessToken, Label: "OAuth 2.0 Access Token", Control: provider.Password, Secret: true, Credential: true, MaxLen: 4096,
			Help: "Specifies an OAuth 2.0 access token from Redox.",
			Note: "An OAuth 2.0 access token. This value comes from Redox.",
		},
		{
			Key: "get_token", Label: "Get OAuth 2.0 Access Token", Control: provider.Button, Action: ActionGetToken,
			Help: "Sends a request to the Redox service to get the OAuth 2.0 access token.",
		},
		token.RenewalRateField("1h", token.Disabled, "15m", "30m", "1h"),
	},
	Actions: map[string]provider.Action{ActionGetToken: getToken},
	// Redox has no Test Connection: getting a token is what tests the
	// credentials when the token is saved.
	SaveTest: ActionGetToken,
	Tokens:   provider.TokenFields{Access: KeyAccessToken, Refresh: KeyRefresh},
	Renew:    renew,
}

// ActionGetToken is the Get OAuth 2.0 Access Token button.
const ActionGetToken = "get_token"

// EnvironmentField is the documented Environment field, which every Redox
// screen shares: only Development is supported.
func EnvironmentField() provider.Field {
	return provider.Field{
		Key: KeyEnvironment, Label: "Environment", Control: provider.Select,
		Options: []provider.Option{{Value: "development", Label: "Development"}},
		Default: "development",
		Help:    "Specifies the type of Redox environment to use.",
		Note:    "Development - The environment uses to create and test your source and destination records. Only the Development environment type is supported.",
	}
}
