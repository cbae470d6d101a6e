// Package oauth is the generic "OAuth 2.0" provider and its presets
// (Google Drive, Microsoft SharePoint, Box, Salesforce, Dropbox, Zoom user
// OAuth): the authorization-code grant through the person's browser, the
// client-credentials grant, and refresh tokens (docs/provider-apis.md, Generic OAuth 2.0;
// §2c). The protocol is golang.org/x/oauth2's; this package says which
// options each form asks for and words the outcome for a person.
package oauth

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/token"
)

// ID is stored with every generic OAuth 2.0 token.
const ID = "oauth2"

// CallbackPath is the one callback every OAuth 2.0 token shares; the
// Redirect URI is the server's base URL followed by it.
const CallbackPath = "/oauth/callback"

// Keys of the form's fields and of the values kept without a field.
const (
	KeyGrantType    = "grant_type"
	KeyClientID     = "client_id"
	KeyClientSecret = "client_secret"
	KeyClientAuth   = "client_auth"
	KeyAuthURL      = "auth_url"
	KeyTokenURL     = "token_url"
	KeyScope        = "scope"
	KeyAudience     = "audience"
	KeyParams       = "params"
	KeyPKCE         = "pkce"
	KeyRedirectURI  = "redirect_uri"
	KeyAccessToken  = "access_token"
	// KeyRefreshToken is the refresh token: sealed, never shown.
	KeyRefreshToken = "refresh_token"
	// KeyPrivateKey and KeyKeyID are the key pair tokendesk keeps for
	// private_key_jwt (the names Redox (OAuth 2.0) uses, so that its key
	// code publishes them).
	KeyPrivateKey = "private_key"
	KeyKeyID      = "key_id"
	// Values of the token answer handed to consumers.
	KeyInstanceURL = "instance_url"
	KeyAPIURL      = "api_url"
)

// Grant types.
const (
	GrantAuthCode          = "authorization_code"
	GrantClientCredentials = "client_credentials"
)

// Client authentication methods (RFC 6749 §2.3.1, RFC 7523).
const (
	AuthBasic = "client_secret_basic"
	AuthPost  = "client_secret_post"
	AuthJWT   = "private_key_jwt"
)

// authCodeOnly marks the fields only the Authorization Code grant uses.
var authCodeOnly = &provider.Choice{Key: KeyGrantType, Values: []string{GrantAuthCode}}

// ActionGetToken is the Get OAuth 2.0 Access Token button.
const ActionGetToken = "get_token"

// ActionTestConnection is the Test Connection button.
const ActionTestConnection = "test_connection"

// Generic is the "OAuth 2.0" provider: any service, every URL typed.
var Generic = build(Preset{
	ID: ID, Name: "OAuth 2.0", Auth: AuthBasic, Keep: []string{KeyInstanceURL, KeyAPIURL}, Rate: "1h",
	Detail: "Any OAuth 2.0 service: the authorization code grant (you sign in to the service and consent in your browser) " +
		"or client credentials, with refresh tokens kept and renewed by tokendesk.",
})

// Providers are the generic provider, then one per preset.
func Providers() []provider.Provider {
	out := []provider.Provider{Generic}
	for _, ps := range Presets {
		out = append(out, build(ps))
	}
	return out
}

// build makes the provider of a preset: the generic form, filled in.
func build(ps Preset) provider.Provider {
	auth := ps.Auth
	if auth == "" {
		auth = AuthBasic
	}
	name := ps.Name
	if ps.ID == ID {
		name = "the OAuth 2.0 service"
	}
	// console is where the app's Client ID, secret and Redirect URI are set.
	console := name
	if ps.Console != "" {
		console = ps.Console
	}
	c := client{preset: ps, service: ps.Name}
	if ps.ID == ID {
		c.service = ""
	}
	grants := []provider.Option{{Value: GrantAuthCode, Label: "Authorization Code"}, {Value: GrantClientCredentials, Label: "Client Credentials"}}
	grantHelp := "Specifies how the access token is obtained: Authorization Code sends you to the service to sign in and consent; Client Credentials asks for a token with the client's own credentials."
	if ps.NoClientCredentials {
		// Offering a grant the service does not have only leads to a refusal.
		grants = grants[:1]
		grantHelp = "Specifies how the access token is obtained: Authorization Code sends you to " + name + " to sign in and consent (" + name + " has no Client Credentials grant)."
	}
	// A token that is not renewed dies with its first access token:
	// renewals are on unless a person chooses Disabled.
	rate := ps.Rate
	if rate == "" {
		rate = "1h"
	}
	p := provider.Provider{
		ID:       ps.ID,
		Name:     ps.Name,
		Summary:  "Configure an access token to connect to " + name + " with OAuth 2.0.",
		Detail:   ps.Detail,
		BaseURLs: baseURLs(ps),
		Fields: []provider.Field{
			provider.NameField("Specifies the unique name for your connection to " + name + "."),
			provider.DescriptionField(),
			{
				Key: KeyGrantType, Label: "Grant Type", Control: provider.Select, Credential: true,
				Options: grants,
				Default: GrantAuthCode,
				Help:    grantHelp,
			},
			{
				Key: KeyRedirectURI, Label: "Redirect URI", Control: provider.Copy, Default: CallbackPath,
				UsedWhen: authCodeOnly,
				Help:     "Copy this URI into the app's settings at " + console + " (redirect URI, callback URL): the service sends you back here after you consent.",
			},
			{
				Key: KeyClientID, Label: "Client ID", Control: provider.Text, Required: true, Credential: true, MaxLen: 512,
				Help: "Specifies the client ID of the app registered at " + console + ".",
			},
			{
				Key: KeyClientSecret, Label: "Client Secret", Control: provider.Password, Secret: true, Credential: true, MaxLen: 2048,
				Help:     "Specifies the client secret of the app registered at " + console + ". Not used by Signed JWT (private_key_jwt).",
				UsedWhen: &provider.Choice{Key: KeyClientAuth, Values: []string{AuthBasic, AuthPost}},
			},
			{
				Key: KeyClientAuth, Label: "Client Authentication", Control: provider.Select, Credential: true,
				Options: []provider.Option{
					{Value: AuthBasic, Label: "HTTP Basic"},
					{Value: AuthPost, Label: "In the request body"},
					{Value: AuthJWT, Label: "Signed JWT (private_key_jwt) with a key pair kept by tokendesk"},
				},
				Default: auth,
				Help: "Specifies how tokendesk authenticates at the token URL. For a signed JWT, tokendesk generates a key pair when the token is first saved " +
					"and shows the public key, its Key ID and a JWKS URL to register at the service.",
			},
			signingAlgField(ps.Algs...),
			{
				Key: KeyAuthURL, Label: "Authorization URL", Control: provider.Text, Credential: true, MaxLen: 2048, Default: ps.AuthURL,
				RequiredWhen: &provider.Condition{Key: KeyGrantType, Value: GrantAuthCode, Why: "the Authorization Code grant sends you there to sign in and consent."},
				Check:        checkTemplateURL,
				Help:         "Specifies the service's authorization endpoint, where you sign in and consent.",
				Placeholder:  "https://",
			},
			{
				Key: KeyTokenURL, Label: "Token URL", Control: provider.Text, Required: true, Credential: true, Endpoint: true, MaxLen: 2048, Default: ps.TokenURL,
				Check:       checkTemplateURL,
				Help:        "Specifies the service's token endpoint, which issues and renews access tokens.",
				Placeholder: "https://",
			},
			{
				Key: KeyScope, Label: "Scope", Control: provider.Text, MaxLen: 2048, Default: ps.Scope,
				Help: scopeHelp(ps),
				Note: ps.ScopeNote,
			},
			{
				Key: KeyAudience, Label: "Audience", Control: provider.Text, Credential: true, MaxLen: 2048,
				Help: "Optional. Sent as the audience parameter, for services that issue tokens per API (Auth0, Okta).",
			},
			{
				Key: KeyParams, Label: "Additional Parameters", Control: provider.TextArea, MaxLen: 4096, Default: ps.Params,
				Check: checkParams,
				Help:  "Optional. Further parameters for the authorization request (and the client credentials request), one name=value a line.",
			},
			{
				Key: KeyPKCE, Label: "PKCE", Control: provider.Checkbox, Credential: true, Default: pkceDefault(ps),
				UsedWhen: authCodeOnly,
				Help:     "Sends a PKCE challenge (S256) with the authorization request and its verifier with the code. Leave it on unless the service refuses it.",
			},
			{
				Key: KeyAccessToken, Label: "OAuth 2.0 Access Token", Control: provider.Password, Secret: true, Credential: true, MaxLen: 8192,
				Help: "Specifies an OAuth 2.0 access token from " + name + ".",
				Note: "Filled in by Get OAuth 2.0 Access Token; you can also paste one.",
			},
			token.RenewalRateField(rate, rateKeys()...),
			provider.EncryptField("Specifies whether to store the credentials and tokens in the database in encrypted format."),
			{
				Key: ActionGetToken, Label: "Get OAuth 2.0 Access Token", Control: provider.Button, Action: ActionGetToken,
				Help: "Authorization Code: takes you to " + name + " to sign in and consent, then back to this form. Client Credentials: asks the token URL for a token.",
			},
			{
				Key: ActionTestConnection, Label: "Test Connection", Control: provider.Button, Action: ActionTestConnection,
				Help: "Asks " + name + " whose account the access token reaches (Client Credentials: gets a token first). Nothing is saved.",
			},
		},
		Actions: map[string]provider.Action{
			ActionGetToken: func(ctx context.Context, env provider.Env, values map[string]string) provider.Result {
				return c.with(env).getToken(ctx, env, values)
			},
			ActionTestConnection: func(ctx context.Context, env provider.Env, values map[string]string) provider.Result {
				return c.with(env).testConnection(ctx, env, values)
			},
		},
		// Save tests what can be tested: the token's "who am I".
		SaveTest: ActionTestConnection,
		Tokens:   provider.TokenFields{Access: KeyAccessToken, Refresh: KeyRefreshToken, Answer: ps.answerKeys()},
		Renew: func(ctx context.Context, env provider.Env, values map[string]string) (provider.Grant, error) {
			return c.with(env).renew(ctx, env, values)
		},
		Generate: generate,
		// The key pair registered at the service travels with an export
		// with secrets: an import signing with a new one could not sign in.
		Kept: []string{KeyPrivateKey, KeyKeyID},
		PublicKeys: func(values map[string]string) (provider.PublishedKeys, bool) {
			return publicKeys(values)
		},
		// No rotation: the app at the service is registered with one key.
		Keys: &provider.KeyPairs{
			KeyID: KeyKeyID, KeyIDMade: true, Service: ps.Name,
			Where:    "the app's settings at " + ps.Name + " (private_key_jwt client authentication)",
			Register: "In the app's settings at " + ps.Name + ", register the JWKS URL below (or the public key)",
		},
		Consent: &provider.Consent{
			Needed: func(values map[string]string) bool { return values[KeyGrantType] != GrantClientCredentials },
			URL: func(env provider.Env, values map[string]string, redirectURI, state, verifier string) (string, error) {
				return c.with(env).authURL(env, values, redirectURI, state, verifier)
			},
			Exchange: func(ctx context.Context, env provider.Env, values map[string]string, redirectURI, code, verifier string) (provider.Grant, error) {
				return c.with(env).exchange(ctx, env, values, redirectURI, code, verifier)
			},
			Callback: ps.callbackParams(),
		},
	}
	// The preset's own fields (a tenant, a region) come after Signing
	// Algorithm; the generic form alone asks what a preset knows.
	p.Fields = insertAfter(p.Fields, KeySigningAlg, ps.Fields...)
	// A typed access token lives as long as the form or the preset says,
	// as an obtained one whose answer said nothing does.
	p.AssumedLifetime = c.lifetime
	if ps.Certificate {
		p.Generate = func(values map[string]string) (map[string]string, error) {
			return generateWithCertificate(values, now(provider.Env{}))
		}
		p.Kept = append(p.Kept, KeyCertificate)
		p.Fields = withClientAuthHelp(p.Fields, "Specifies how tokendesk authenticates at the token URL. For a signed JWT (certificate credentials), "+
			"tokendesk generates a key pair and a self-signed certificate when the token is first saved: download the certificate from the token's page "+
			"and upload it to the app registration (Certificates & secrets).")
	}
	if ps.ID == ID {
		p.Fields = insertAfter(p.Fields, KeyAccessToken, lifetimeField(), testURLField(), apiBaseField())
	}
	p.API = c.api()
	if p.API != nil {
		p.Fields = insertAfter(p.Fields, provider.KeyRenewalRate, provider.ProxyOnlyField())
	}
	return p
}

// insertAfter puts more after the field with key.
func insertAfter(fields []provider.Field, key string, more ...provider.Field) []provider.Field {
	for i, f := range fields {
		if f.Key == key {
			return slices.Insert(fields, i+1, more...)
		}
	}
	return append(fields, more...)
}

// rateKeys is the full documented list of rates.
func rateKeys() []string {
	out := make([]string, 0, len(token.Rates))
	for _, r := range token.Rates {
		out = append(out, r.Key)
	}
	return out
}

func checkURL(v string) string {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "Enter a full URL starting with https:// (for example https://auth.example.com/oauth/token)."
	}
	if u.User != nil {
		return "Leave credentials out of the URL: enter them as the Client ID and Client Secret."
	}
	return ""
}

// reserved are the parameters tokendesk sets itself.
var reserved = map[string]bool{
	"response_type": true, "client_id": true, "client_secret": true, "redirect_uri": true, "state": true,
	"code_challenge": true, "code_challenge_method": true, "code_verifier": true, "grant_type": true,
	"code": true, "refresh_token": true, "client_assertion": true, "client_assertion_type": true, "scope": true,
}

// parseParams reads Additional Parameters: one name=value a line.
func parseParams(v string) ([][2]string, error) {
	var out [][2]string
	for i, line := range strings.Split(v, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("Line %d is not name=value: write one parameter a line, such as access_type=offline.", i+1)
		}
		if reserved[name] {
			return nil, fmt.Errorf("Line %d sets %s, which tokendesk sets itself: remove it (use the Scope field for scopes).", i+1, name)
		}
		out = append(out, [2]string{name, strings.TrimSpace(value)})
	}
	return out, nil
}

func checkParams(v string) string {
	if _, err := parseParams(v); err != nil {
		return err.Error()
	}
	return ""
}

// baseURLs are the addresses a preset's provider declares: its own (Zoom's)
// and, for a catalogue row, VendorsURL.
func baseURLs(ps Preset) []provider.BaseURL {
	if ps.ID == ID {
		return ps.BaseURLs
	}
	return append(slices.Clone(ps.BaseURLs), VendorsURL)
}
