package views

import "net/url"

// SSOSettingsPage is Settings → Single sign-on.
type SSOSettingsPage struct {
	Page
	Name, Issuer, ClientID string
	HasSecret              bool // a secret is stored; it is never shown
	RedirectURI            string
	Scopes                 string
	Claim                  string
	AdminValues            string
	DesignerRules          string
	Enabled, PasswordOff   bool
	TrustEmail             bool
	BreakGlass             string
	Tested                 string // "" when no Test sign-in since the last change
	Errors                 map[string]string
}

// SSOTestPage is the outcome of a Test sign-in: what the identity
// provider sent and what tokendesk would make of it. Nobody is signed in.
type SSOTestPage struct {
	Page
	Claims []SSOClaim
	Email  string
	Claim  string // the mapped claim's name
	Values string // its values, as received
	Access string // "administrator", "designer of …" or "no access"
	OK     bool
}

// SSOClaim is one claim of the ID token, as shown.
type SSOClaim struct{ Name, Value string }

// urlQueryEscape escapes a value for a query string.
func urlQueryEscape(s string) string { return url.QueryEscape(s) }
