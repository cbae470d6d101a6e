// Package redoxoauth is "Redox (OAuth 2.0)": Redox Source Auth v2, the
// client-credentials grant with a signed JWT assertion that Redox issues to
// new customers (docs/provider-apis.md, Redox OAuth 2.0). tokendesk keeps the key pair
// (or the HS384 shared secret) and signs a fresh assertion for every token;
// Redox's tokens live 5 minutes and come without a refresh token.
package redoxoauth

import (
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/redox"
	"github.com/tokendesk/tokendesk/internal/token"
)

// ID is stored with every Redox (OAuth 2.0) token.
const ID = "redox-oauth"

// Keys of the provider's fields and of the values tokendesk keeps itself.
const (
	KeyEnvironment  = redox.KeyEnvironment
	KeyRegion       = "region"
	KeyClientID     = "client_id"
	KeyKeyID        = "key_id"
	KeySigning      = "signing_method"
	KeySharedSecret = "shared_secret"
	KeySourceID     = "source_id"
	KeyAccessToken  = "access_token"
	// KeyPrivateKey is the PKCS #8 PEM private key tokendesk generated; it is
	// sealed like every secret and never shown.
	KeyPrivateKey = "private_key"
)

// Regions.
const (
	RegionUS     = "us"
	RegionCanada = "ca"
)

// Signing methods.
const (
	RS384 = "rs384"
	ES384 = "es384"
	HS384 = "hs384"
)

// ActionGetToken is the Get OAuth 2.0 Access Token button.
const ActionGetToken = "get_token"

// Provider is the Redox (OAuth 2.0) screen, in the order issue 10 names;
// the optional Source ID follows the credentials.
var Provider = provider.Provider{
	ID:      ID,
	Name:    "Redox (OAuth 2.0)",
	Summary: "Configure an access token to connect to Redox with an OAuth 2.0 API key (signed JWT).",
	Detail: "Redox's current authentication for new customers: OAuth 2.0 client credentials with a JWT signed by a key pair " +
		"tokendesk keeps (or a shared secret). Tokens last 5 minutes; tokendesk renews them before they expire.",
	BaseURLs: []provider.BaseURL{redox.API},
	Fields: []provider.Field{
		provider.NameField("Specifies the unique name for your connection to Redox."),
		provider.DescriptionField(),
		redox.EnvironmentField(),
		{
			Key: KeyRegion, Label: "Region", Control: provider.Select, Credential: true,
			Options: []provider.Option{{Value: RegionUS, Label: "United States"}, {Value: RegionCanada, Label: "Canada"}},
			Default: RegionUS,
			Help:    "Specifies where your Redox organization is hosted: it chooses the token URL and the assertion's audience.",
		},
		{
			Key: KeyClientID, Label: "Client ID", Control: provider.Text, Required: true, Credential: true, MaxLen: 256,
			Help: "Specifies the client ID of the OAuth API key, from the Redox dashboard.",
		},
		{
			Key: KeyKeyID, Label: "Key ID", Control: provider.Text, Required: true, Credential: true, MaxLen: 256,
			Help: "Specifies the key ID (kid) under which the public key or shared secret is registered in the Redox dashboard.",
		},
		{
			Key: KeySigning, Label: "Signing Method", Control: provider.Select, Credential: true,
			Options: []provider.Option{
				{Value: RS384, Label: "RS384 key pair kept by tokendesk"},
				{Value: ES384, Label: "ES384 key pair kept by tokendesk"},
				{Value: HS384, Label: "HS384 with a shared secret"},
			},
			Default: RS384,
			Help:    "Specifies how the JWT assertion is signed. For a key pair, tokendesk generates it when the token is first saved and shows the public key and a JWKS URL to register in Redox.",
		},
		{
			Key: KeySharedSecret, Label: "Shared Secret", Control: provider.Password, Secret: true, Credential: true, MaxLen: 512,
			RequiredWhen: &provider.Condition{Key: KeySigning, Value: HS384,
				Why: "HS384 signs with the secret registered in the Redox dashboard (or choose a key pair kept by tokendesk)."},
			Help: "Specifies the secret shared with Redox. Used by HS384 only.",
		},
		{
			Key: KeySourceID, Label: "Source ID", Control: provider.Text, Credential: true, MaxLen: 256,
			Help: "Optional. The Redox source this token is for; processes receive it as source_id and send it as the Redox-Source-Id header.",
		},
		{
			Key: KeyAccessToken, Label: "OAuth 2.0 Access Token", Control: provider.Password, Secret: true, Credential: true, MaxLen: 4096,
			Help: "Specifies an OAuth 2.0 access token from Redox.",
			Note: "An OAuth 2.0 access token. This value comes from Redox.",
		},
		func() provider.Field {
			f := token.RenewalRateField("15m", token.Disabled, "15m", "30m", "1h")
			f.Note = "Redox's OAuth 2.0 access tokens live 5 minutes, shorter than any rate: tokendesk renews each one after 270 seconds " +
				"whatever the rate (Disabled stops that), and processes asking for an expired token get a fresh one."
			return f
		}(),
		{
			Key: ActionGetToken, Label: "Get OAuth 2.0 Access Token", Control: provider.Button, Action: ActionGetToken,
			Help: "Signs a JWT assertion and sends it to Redox to get an OAuth 2.0 access token.",
		},
	},
	Actions: map[string]provider.Action{ActionGetToken: getToken},
	// Getting a token is what tests the key (and its registration) on Save.
	SaveTest:   ActionGetToken,
	Tokens:     provider.TokenFields{Access: KeyAccessToken, Answer: []string{KeySourceID}},
	Renew:      renew,
	Generate:   generate,
	PublicKeys: rotation.Public,
	Keys: &provider.KeyPairs{
		KeyID: KeyKeyID, Method: KeySigning, SharedMethod: HS384,
		NewMethods: []provider.Option{{Value: RS384, Label: "RS384 key pair kept by tokendesk"}, {Value: ES384, Label: "ES384 key pair kept by tokendesk"}},
		Service:    "Redox", Where: "the Redox dashboard",
		Register:  "In the Redox dashboard, open this OAuth API key and add the JWKS URL below (or paste the public key)",
		JWKSCache: "5 minutes",
	},
	NewKeyPair:   rotation.Rotate,
	UseNewKey:    rotation.UseNext,
	RetireKey:    rotation.Retire,
	KeyPublished: rotation.Published,
	Kept:         []string{KeyPrivateKey, KeyPrevious, KeyNext, token.KeyAwaiting},
}
