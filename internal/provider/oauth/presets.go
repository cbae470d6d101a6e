package oauth

import "time"

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
	// Console is where the app is registered, when that is not the
	// service itself (Google Drive's apps live in the Google Cloud Console).
	Console string
}

const day = 24 * time.Hour

// Presets are the services in the picker after the generic OAuth 2.0, in
// the order DESIGN.md gives.
var Presets = []Preset{
	{
		ID: "oauth2-google-drive", Name: "Google Drive", Console: "the Google Cloud Console",
		AuthURL:  "https://accounts.google.com/o/oauth2/v2/auth",
		TokenURL: "https://oauth2.googleapis.com/token",
		Scope:    "https://www.googleapis.com/auth/drive",
		Params:   "access_type=offline\nprompt=consent",
		Auth:     AuthPost,
		Detail:   "A Google account's Drive. Google gives a refresh token only with access_type=offline and prompt=consent, which the form adds.",
	},
	{
		ID: "oauth2-microsoft-sharepoint", Name: "Microsoft SharePoint", Console: "the Microsoft Entra admin center",
		AuthURL:  "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
		TokenURL: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
		Scope:    "offline_access https://graph.microsoft.com/Sites.ReadWrite.All",
		Auth:     AuthPost,
		// Refresh tokens of the Microsoft identity platform live 90 days.
		RefreshLifetime: 90 * day,
		Detail: "SharePoint sites through Microsoft Graph (Microsoft identity platform). Replace “common” in both URLs with your tenant ID " +
			"to sign in to your organization only; offline_access is what gives a refresh token.",
	},
	{
		ID: "oauth2-box", Name: "Box", Console: "the Box Developer Console",
		AuthURL:  "https://account.box.com/api/oauth2/authorize",
		TokenURL: "https://api.box.com/oauth2/token",
		Auth:     AuthPost,
		// Box refresh tokens are single use and live 60 days.
		RefreshLifetime: 60 * day,
		Detail:          "A Box account. Box refresh tokens are single use and live 60 days; tokendesk keeps the newest one.",
	},
	{
		ID: "oauth2-salesforce", Name: "Salesforce",
		AuthURL:  "https://login.salesforce.com/services/oauth2/authorize",
		TokenURL: "https://login.salesforce.com/services/oauth2/token",
		Scope:    "api refresh_token",
		Auth:     AuthPost,
		Keep:     []string{KeyInstanceURL},
		Detail:   "A Salesforce org. Processes receive its instance_url with the access token: the org's API lives there.",
	},
	{
		ID: "oauth2-dropbox", Name: "Dropbox", Console: "the Dropbox App Console",
		AuthURL:  "https://www.dropbox.com/oauth2/authorize",
		TokenURL: "https://api.dropboxapi.com/oauth2/token",
		Params:   "token_access_type=offline",
		Auth:     AuthBasic,
		Detail:   "A Dropbox account. token_access_type=offline is what gives a refresh token; Dropbox access tokens live 4 hours.",
	},
	{
		ID: "oauth2-zoom-user", Name: "Zoom user OAuth", Console: "the Zoom App Marketplace",
		AuthURL:  "https://zoom.us/oauth/authorize",
		TokenURL: "https://zoom.us/oauth/token",
		Auth:     AuthBasic,
		Keep:     []string{KeyAPIURL},
		// Zoom: "a refresh token lasts 15 years unless used or revoked".
		RefreshLifetime: 15 * 365 * day,
		Detail: "A Zoom user's account, through a user-managed OAuth app (authorization code). Zoom's refresh tokens rotate: " +
			"tokendesk keeps the newest one, and processes receive Zoom's api_url with the access token.",
	},
}
