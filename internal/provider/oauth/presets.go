package oauth

import (
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/zoom"
)

// Preset is one OAuth 2.0 service tokendesk knows: its own entry in the
// picker, with a form filled in for it. Adding a service is one entry
// here and one row in the preset test, nothing else.
type Preset struct {
	ID       string // stored with its tokens
	Name     string // the service, as the picker shows it
	AuthURL  string // the vendor's real endpoints: the defaults
	TokenURL string
	Scope    string
	// Params are the Additional Parameters the service needs on its
	// authorization request, one name=value a line (Google's
	// access_type=offline and prompt=consent, to be given a refresh token).
	Params string
	// Auth is how the client authenticates at the token URL.
	Auth string
	// Keep names the values of the token answer handed to consumers with
	// the access token (Salesforce's instance_url, Zoom's api_url).
	Keep []string
	// RefreshLifetime is how long the service's refresh tokens live when
	// its answer does not say (refresh_token_expires_in); zero: unknown.
	RefreshLifetime time.Duration
	// Detail is what to know about the service, shown in the picker and
	// as the form's summary.
	Detail string
	// ScopeNote is what to know about the service's scopes and what they
	// do to its refresh tokens, shown under the Scope field.
	ScopeNote string
	// Rate is the Renewal Rate a new token starts with: never Disabled,
	// since a token that is not renewed dies with its first access token.
	// "1h" when empty.
	Rate string
	// AccessLifetime is how long the service's access tokens live when its
	// answer has no expires_in: an unknown expiry is never "for ever".
	// When Introspect is set it is the fallback if introspection fails.
	AccessLifetime time.Duration
	// Introspect reads an answer's missing expiry by token introspection
	// (RFC 7662) at this URL, {instance_url} standing for the value the
	// answer gave (Salesforce).
	Introspect string
	// WhoAmI is the request Test Connection makes with the access token to
	// learn whose account it reaches; nil: the generic form's Test URL.
	WhoAmI *WhoAmI
	// NoClientCredentials: the service has no client credentials grant
	// (Google, Dropbox, Zoom's user OAuth), so the form does not offer it.
	NoClientCredentials bool
	// Fields are the preset's own fields (SharePoint's Tenant), shown
	// after Client Authentication.
	Fields []provider.Field
	// Endpoints turns the typed Authorization and Token URLs into the
	// ones to use, from the preset's own fields (a tenant, a region) and
	// the process's environment (an emulator standing in for Zoom); nil
	// uses them as typed.
	Endpoints func(env provider.Env, values map[string]string) (authURL, tokenURL string)
	// Certificate: the service takes a certificate, not a key or a JWKS
	// URL, for private_key_jwt (Microsoft Entra): tokendesk makes a
	// self-signed one with the key pair, and signs with its x5t#S256.
	Certificate bool
	// Algs limits the Signing Algorithms offered (Entra: RS256, PS256).
	Algs []string
	// ClientCredentialsCheck refuses the client credentials grant where the
	// service allows it only in some set-ups ("" when it may be used).
	ClientCredentialsCheck func(values map[string]string) string
	// Console is where the app is registered, when that is not the
	// service itself (Google Drive's apps live in the Google Cloud Console).
	Console string
	// BaseURLs are the configurable service addresses Endpoints reads
	// from the environment (Zoom's OAuth URL).
	BaseURLs []provider.BaseURL

	// The catalogue's facts (catalogue.go, docs/oauth-services.md).
	Catalogue
}

// WhoAmI is a service's "who am I" request.
type WhoAmI struct {
	Method string // GET unless set
	// URL may hold {instance_url} or {api_url}: the value the token
	// answer gave, kept with the token; or any {key} of the preset's own
	// fields and values (a Zendesk {subdomain}, QuickBooks' {realm_id}).
	URL string
	// Body is sent as JSON with the request (monday.com's GraphQL query).
	Body string
	// Headers the service requires beside the token (Notion-Version).
	Headers map[string]string
	// Name and Email are where the answer names the account (dotted
	// paths: shop.name, emails.0); empty: the usual shapes are tried.
	Name, Email string
	// OK is a boolean of the answer that must be true for the token to be
	// accepted: Slack answers a revoked token HTTP 200 {"ok":false,
	// "error":"invalid_auth"}.
	OK string
}

const day = 24 * time.Hour

// Presets are the services in the picker after the generic OAuth 2.0, in
// the picker's order. The facts, with their sources, are in docs/oauth-services.md.
var Presets = withCatalogue([]Preset{
	{
		ID: "oauth2-google-drive", Name: "Google Drive", Console: "the Google Cloud Console",
		AuthURL:  "https://accounts.google.com/o/oauth2/v2/auth",
		TokenURL: "https://oauth2.googleapis.com/token",
		// drive.file is Google's recommended non-sensitive scope; the full
		// drive scope is restricted (verification and a security assessment).
		Scope:  "https://www.googleapis.com/auth/drive.file",
		Params: "access_type=offline\nprompt=consent",
		Auth:   AuthPost,
		// Google's access tokens live an hour.
		AccessLifetime:      time.Hour,
		WhoAmI:              &WhoAmI{URL: "https://www.googleapis.com/drive/v3/about?fields=user"},
		NoClientCredentials: true,
		ScopeNote: "drive.file (the files this app created or was given) is Google's recommended scope; the full drive scope is restricted and needs Google's verification. " +
			"While the app's OAuth consent screen is External and in \u201cTesting\u201d, Google's refresh tokens expire after 7 days: publish the app to keep them.",
		Detail: "A Google account's Drive. Google gives a refresh token only with access_type=offline and prompt=consent, which the form adds. " +
			"Refresh tokens of apps in \u201cTesting\u201d expire after 7 days; any dies after 6 months unused, and past a per-client limit Google silently revokes the oldest.",
	},
	{
		ID: "oauth2-microsoft-sharepoint", Name: "Microsoft SharePoint", Console: "the Microsoft Entra admin center",
		AuthURL:  "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
		TokenURL: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
		Scope:    "offline_access https://graph.microsoft.com/Sites.ReadWrite.All",
		Auth:     AuthPost,
		// Refresh tokens of the Microsoft identity platform live 90 days.
		RefreshLifetime: 90 * day,
		AccessLifetime:  time.Hour,
		WhoAmI:          &WhoAmI{URL: "https://graph.microsoft.com/v1.0/me"},
		Fields:          []provider.Field{tenantField},
		Endpoints:       tenantEndpoints,
		// Certificate credentials: an uploaded X.509 certificate, an
		// x5t#S256 header, RS256 or PS256; kid alone and RS384 are refused.
		Certificate: true,
		Algs:        []string{PS256, RS256},
		Detail: "SharePoint sites through Microsoft Graph (Microsoft identity platform). SharePoint needs a work or school account: " +
			"the Tenant is organizations, or your tenant ID for an app registered for your organization only (Microsoft refuses /common for those, AADSTS50194). " +
			"offline_access is what gives a refresh token.",
	},
	{
		ID: "oauth2-box", Name: "Box", Console: "the Box Developer Console",
		AuthURL:  "https://account.box.com/api/oauth2/authorize",
		TokenURL: "https://api.box.com/oauth2/token",
		Auth:     AuthPost,
		// Box refresh tokens are single use and live 60 days.
		RefreshLifetime: 60 * day,
		AccessLifetime:  time.Hour,
		WhoAmI:          &WhoAmI{URL: "https://api.box.com/2.0/users/me"},
		Detail: "A Box account. Box refresh tokens are single use and live 60 days; tokendesk keeps the newest one. " +
			"Box does not document PKCE, so the form leaves it off; Client Credentials need box_subject_type and box_subject_id in the Additional Parameters.",
	},
	{
		ID: "oauth2-salesforce", Name: "Salesforce",
		AuthURL:  "https://login.salesforce.com/services/oauth2/authorize",
		TokenURL: "https://login.salesforce.com/services/oauth2/token",
		Scope:    "api refresh_token",
		Auth:     AuthPost,
		Keep:     []string{KeyInstanceURL, KeyIdentityURL},
		// Salesforce sends no expires_in: the token lives as long as the
		// org's session timeout, which introspection tells. Should it not
		// answer, the shortest timeout an org may set is assumed, so that a
		// token is never handed out after its end.
		Introspect:             "{instance_url}/services/oauth2/introspect",
		AccessLifetime:         15 * time.Minute,
		WhoAmI:                 &WhoAmI{URL: "{instance_url}/services/oauth2/userinfo"},
		Fields:                 salesforceFields,
		Endpoints:              salesforceEndpoints,
		ClientCredentialsCheck: salesforceClientCredentials,
		Detail: "A Salesforce org: Production, a Sandbox or your My Domain. Processes receive its instance_url (and the identity URL, id) with the access token: " +
			"the org's API lives there. Salesforce does not say when a token expires; tokendesk asks it (token introspection).",
		ScopeNote: "refresh_token (or offline_access) is what gives a refresh token. Since 2026-05-11 apps connected to more than two customer orgs must use PKCE, " +
			"refresh token rotation and a 30-day idle limit; reusing a rotated refresh token revokes the whole family.",
	},
	{
		ID: "oauth2-dropbox", Name: "Dropbox", Console: "the Dropbox App Console",
		AuthURL:  "https://www.dropbox.com/oauth2/authorize",
		TokenURL: "https://api.dropboxapi.com/oauth2/token",
		Params:   "token_access_type=offline",
		Auth:     AuthBasic,
		Keep:     []string{KeyAccountID},
		Rate:     "2h",
		// Dropbox access tokens live 4 hours.
		AccessLifetime:      4 * time.Hour,
		WhoAmI:              &WhoAmI{Method: "POST", URL: "https://api.dropboxapi.com/2/users/get_current_account"},
		NoClientCredentials: true,
		Detail:              "A Dropbox account. token_access_type=offline is what gives a refresh token; Dropbox access tokens live 4 hours. Processes receive the account_id with the access token.",
	},
	{
		ID: "oauth2-zoom-user", Name: "Zoom user OAuth", Console: "the Zoom App Marketplace",
		AuthURL:  "https://zoom.us/oauth/authorize",
		TokenURL: "https://zoom.us/oauth/token",
		Auth:     AuthBasic,
		Keep:     []string{KeyAPIURL},
		// Zoom: "a refresh token lasts 15 years unless used or revoked".
		RefreshLifetime: 15 * 365 * day,
		AccessLifetime:  time.Hour,
		WhoAmI:          &WhoAmI{URL: "{api_url}/v2/users/me"},
		// Zoom's client_credentials grant gives chatbot tokens only.
		NoClientCredentials: true,
		Fields:              []provider.Field{zoomCloudField},
		Endpoints:           zoomEndpoints,
		BaseURLs:            []provider.BaseURL{zoom.OAuth},
		Detail: "A Zoom user's account, through a user-managed OAuth app (authorization code), on Zoom or ZoomGov. Zoom's refresh tokens rotate: " +
			"tokendesk keeps the newest one, and processes receive Zoom's api_url with the access token.",
	},
})
