package views

// AppRow is one application in a list.
type AppRow struct {
	ID     int64
	Name   string
	Kind   string
	Tokens int
	URL    string
}

// AppsPage lists applications: all for administrators ("Applications"),
// a designer's own for designers ("App Builder").
type AppsPage struct {
	Page
	Heading string
	Rows    []AppRow
	CanAdd  bool
	NewName string
	NewKind string
	Errors  map[string]string
	Users   []Option // designers to choose from
}

// AppPage is one application: its links, and for administrators its settings.
type AppPage struct {
	Page
	ID         int64
	Name       string
	Kind       string
	Designers  []string
	TokensURL  string
	ClientsURL string
	AuditURL   string     // the app's own audit entries, read-only
	Usable     []TokenRow // global tokens the app may use (one page of them)
	// UsablePrevURL and UsableNextURL page through Usable.
	UsablePrevURL, UsableNextURL string
	// Shadowed lists the global tokens that the app's own tokens of the
	// same name hide from its API clients.
	Shadowed []ShadowRow
	// ShadowedMore: the app's tokens shadow more global tokens than
	// Shadowed lists.
	ShadowedMore bool
	// Administrators edit the app here.
	CanEdit   bool
	PostURL   string
	Users     []Option
	Kinds     []Option
	Errors    map[string]string
	DeleteURL string
}

// ShadowRow is a global token hidden by an app token of the same name.
type ShadowRow struct {
	Name       string
	GlobalType string
	AppType    string
	AppURL     string // the app token's page
	// OtherProvider: the two tokens are for different systems, so a
	// process expecting the global one gets credentials it cannot use.
	OtherProvider bool
}

// AppDeletePage confirms deleting an application.
type AppDeletePage struct {
	Page
	Name      string
	Allowed   bool
	Tokens    []string
	Clients   int
	PostURL   string
	CancelURL string
	// OnlyFor are global tokens only this app may use: after the delete no
	// app may use them.
	OnlyFor []string
	// InUse are the tokens the app's API clients fetched: they lose them.
	InUse []AppUseRow
}

// AppUseRow is one token an application fetched through the API.
type AppUseRow struct {
	Token string
	Scope string // "global" or "this app's"
	Count int64
	Last  string
}

// ClientRow is one API client.
type ClientRow struct {
	ID        int64
	Name      string
	KeyPrefix string
	Created   string
	LastUsed  string
	Revoked   bool
	RevokeURL string
}

// ClientsPage lists API clients and creates them; NewKey is shown once.
type ClientsPage struct {
	Page
	Heading string
	Lede    string
	Rows    []ClientRow
	PostURL string
	NewName string
	Error   string
	// PrevURL and NextURL lead to the neighbouring pages ("" at either end).
	PrevURL, NextURL string
}

// ClientKeyPage shows a new API client's key, once.
type ClientKeyPage struct {
	Page
	Heading string
	Name    string
	Key     string
	ListURL string
	// Usage shows how to fetch a token with the key.
	Usage *APIUsage
}

// PermissionsPage is a global token's Permission Settings and App Associations.
type PermissionsPage struct {
	Page
	TokenName    string
	Apps         []Option // Selected: may use it
	PostURL      string
	Associations []AssociationRow
	TokenURL     string
	// Designers of each of Apps (same order): the people who build with
	// the token through that app.
	Designers []string
	// Restricted: only the chosen apps (maybe none) may use the token.
	Restricted bool
	Errors     map[string]string
	// CutOff are apps that fetched the token and would lose access: the
	// save waits for a confirmation.
	CutOff []AssociationRow
	// Confirm lists the ids of CutOff, sent back to confirm exactly them.
	Confirm string
}

// AssociationRow is one app's use of a token through the API.
type AssociationRow struct {
	App   string
	Count int64
	Last  string
}

// SettingsPage holds the administrator settings.
type SettingsPage struct {
	Page
	AllowDelete   bool
	Keyring       KeyringPanel
	RetentionDays string // days the audit log keeps entries, as typed
	Errors        map[string]string
	// PrivateTargets: typed provider URLs may reach private addresses
	// (the setting); PrivateByConfig: TOKENDESK_ALLOW_PRIVATE_TARGETS
	// allows them whatever the setting says.
	PrivateTargets, PrivateByConfig bool
	// RequireAdminFactor: administrators must have a second factor.
	RequireAdminFactor bool
}

// RevokeClientPage confirms revoking an API client's key.
type RevokeClientPage struct {
	Page
	Name      string
	KeyPrefix string
	LastUsed  string
	PostURL   string
	CancelURL string
}
