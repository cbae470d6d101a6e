// Package views renders the console's pages with templ. Components take
// view models shaped like the screen; they never touch the database or HTTP.
package views

import (
	"time"

	"github.com/tokendesk/tokendesk/internal/token"
)

// Page is what every full page needs.
type Page struct {
	Title string
	User  *User
	CSRF  string
	Flash string
	// FlashError shows Flash as a failure rather than a success.
	FlashError bool
	// FlashWarn shows Flash as a warning: done, but look at this.
	FlashWarn bool
	Nav       string // the active navigation item
	Crumbs    []Crumb
}

// User is the signed-in person.
type User struct {
	Email   string
	IsAdmin bool
}

// Crumb is one step of the breadcrumb trail; the last has no URL.
type Crumb struct {
	Label string
	URL   string
}

// AppsCrumb leads to the applications. Administrators and designers see
// them under one name, the one the navigation uses.
var AppsCrumb = Crumb{Label: "App Builder", URL: "/apps"}

// Option is one choice of a select.
type Option struct {
	Value    string
	Label    string
	Selected bool
}

// Navigation items.
const (
	NavTokens   = "tokens"
	NavAudit    = "audit"
	NavUsers    = "users"
	NavApps     = "apps"
	NavAPI      = "api"
	NavSettings = "settings"
)

// LoginPage is the sign-in form.
type LoginPage struct {
	Page
	Email string
	Error string
	Next  string
}

// SetupPage creates the first administrator.
type SetupPage struct {
	Page
	Email  string
	Errors map[string]string
}

// TokenRow is one line of the Access Tokens list.
type TokenRow struct {
	ID          int64
	Name        string
	URL         string
	Type        string
	Encrypted   bool
	RenewalRate string
	Description string
	ChangedBy   string
	ChangedAt   time.Time
	ChangedAgo  string // "3 hours ago"; the exact time shows on hover
	Status      string
}

// SortHeader is a sortable column heading: a link that sorts by it, and
// its current order for aria-sort ("ascending", "descending" or "").
type SortHeader struct {
	Label string
	URL   string
	Order string
}

// StatusClass colours a status badge, as token.Statuses declares it.
func StatusClass(status string) string {
	if tone := token.StatusTone(status); tone != token.ToneNone {
		return "badge badge-" + string(tone)
	}
	return "badge"
}

// StatusCount is how many tokens are in a status, and the list of them.
type StatusCount struct {
	Name  string
	Count int
	URL   string
}

// TokenListPage is the Access Tokens screen.
type TokenListPage struct {
	Page
	Heading string
	Global  bool
	// Usable lists, on an app's page, the global tokens the app may use.
	Usable []TokenRow
	Rows   []TokenRow
	Query  string
	// QueryPrefix: the search is too short to look inside names (store.
	// SearchContainsMin), so it found the names starting with it.
	QueryPrefix bool
	Types       []Option
	Statuses    []Option
	Filtered    bool
	// Failing counts the scope's tokens whose renewal is failing, whatever
	// the filter; FailingURL lists them.
	Failing    int
	FailingURL string
	// Attention and Reconnect count the tokens that say "Needs attention"
	// and "Needs reconnect"; their URLs list them.
	Attention    int
	AttentionURL string
	Reconnect    int
	ReconnectURL string
	// ReconnectSoon counts the tokens whose refresh token runs out within
	// ReconnectSoonDays ("Reconnect soon"): usable today, lost unless
	// someone reconnects them in time. Its URL lists them.
	ReconnectSoon     int
	ReconnectSoonURL  string
	ReconnectSoonDays int
	// Unusable counts, by status, the tokens apps cannot get from the
	// runtime API (token.StatusDef.Unusable); UnusableTotal sums them.
	Unusable      []StatusCount
	UnusableTotal int
	// Sort carries the current order through searches; Headers link to
	// the other orders.
	Sort    string
	Dir     string
	Headers map[string]SortHeader
	EditURL string
	// Total is the scope's token count, kept by the database; -1 when a
	// search or filter is on (counting matches would read them all).
	Total     int
	Shown     int
	PrevURL   string
	NextURL   string
	AddURL    string
	ListURL   string
	RemoveURL string
	// ExportAllURL exports every token the current filter matches, not
	// only the ticked ones; ExportAllLabel says how many when known.
	ExportAllURL   string
	ExportAllLabel string
}

// ProviderChoice is one provider in the Add Token picker.
type ProviderChoice struct {
	Name   string
	Detail string
	URL    string
}

// ProviderPickPage asks which provider a new token is for.
type ProviderPickPage struct {
	Page
	Choices []ProviderChoice
}

// FormField is one control of a provider's form.
type FormField struct {
	Key         string
	Label       string
	Control     string // text, textarea, select, password, checkbox, button, copy (read only, with a copy button)
	Help        string
	Note        string
	Value       string
	Error       string
	Placeholder string
	Options     []Option
	Required    bool
	// Stored describes a write-only value already stored ("Stored · changed … by …").
	Stored string
	// StoredAt is the time Stored names, shown in the reader's time zone.
	StoredAt  time.Time
	Clearable bool
	Cleared   bool
	// Checkbox state; Locked checkboxes cannot be changed (the note says why).
	Checked  bool
	Locked   bool
	LockNote string
	// Buttons run a provider action; Result is its outcome, if it ran.
	Action  string
	Result  *ActionResult
	PostURL string
	// A field used only with some choices of another field: WhenID is
	// that control's id, WhenValues its values (space-separated), WhenNote
	// says so in words (all a browser without JavaScript shows; with it
	// the field hides for the other choices). RequiredWhen: required
	// whenever it applies (its mark follows the choice).
	WhenID, WhenValues, WhenNote string
	RequiredWhen                 bool
}

// ActionFragment is what htmx receives after a button press: the result
// panel, plus out-of-band updates of the fields and sealed state it changed.
type ActionFragment struct {
	Action  string
	Result  ActionResult
	Pending string
	Fields  []FormField
}

// ActionResult is the outcome of Get OAuth 2.0 Access Token or Test Connection.
type ActionResult struct {
	OK      bool
	Summary string
	Warning string // a success's qualification
	Steps   []ActionStep
}

// ActionStep is one step a provider call took.
type ActionStep struct {
	Text     string
	OK       bool
	Duration string
}

// TokenFormPage is a provider's add or edit form.
type TokenFormPage struct {
	Page
	Heading   string
	Summary   string
	Notice    string // the provider's standing warning (retired by the vendor)
	KeyPair   *KeyPair
	PostURL   string
	Version   int64
	Fields    []FormField
	Problem   string // a form-level problem (someone else saved meanwhile)
	DeleteURL string
	CancelURL string
	// Pending carries a sealed, obtained-but-unsaved grant between requests.
	Pending string
	Renewal *RenewalState
	// PermissionsURL leads to a global token's Permission Settings and App Associations.
	PermissionsURL string
	// Returned is the outcome of a trip to a consent page, shown at the
	// top of the form as well as at its button (ReturnedAction).
	Returned       *ActionResult
	ReturnedAction string
}

// RenewalState is a saved token's renewal information.
type RenewalState struct {
	LastRenewed string
	NextRenewal string
	Expires     string
	LastError   string
	Status      string
	RenewURL    string
	// RefreshExpires is when the refresh token runs out ("" when unknown).
	RefreshExpires string
	// Rejected says when an app last reported the access token refused
	// by its service ("" when none did).
	Rejected string
	// ReconnectURL, when set, offers Reconnect: one trip through the
	// service's consent page, keeping the stored settings and secrets.
	ReconnectURL string
	// The moments behind LastRenewed, NextRenewal, Expires and
	// RefreshExpires when those are plain times (zero otherwise): the
	// page shows them in the reader's time zone.
	LastRenewedAt, NextRenewalAt, ExpiresAt, RefreshExpiresAt time.Time
}

// RemovePage confirms removing tokens.
type RemovePage struct {
	Page
	Names     []string
	InUse     []string
	IDs       []int64
	PostURL   string
	CancelURL string
}

// AuditRow is one audit log entry.
type AuditRow struct {
	At     time.Time
	Actor  string
	Action string // a sentence: "Created access token"
	// Subject is the name of what the entry is about (a token, app, user,
	// API client or setting); SubjectURL links it while it exists.
	Subject    string
	SubjectURL string
	Scope      string // for tokens: "Global" or "App Alpha"
	Fields     string
}

// AuditPage is the Audit Log screen.
type AuditPage struct {
	Page
	Tabs    []Tab
	Filters AuditFilters
	Rows    []AuditRow
	PrevURL string
	NextURL string
	// ExportURL downloads every entry that passes the filters as CSV.
	ExportURL string
}

// Tab is one of a screen's tabs.
type Tab struct {
	Label   string
	URL     string
	Current bool
}

// AuditFilters is the Audit Log's filter form, as typed.
type AuditFilters struct {
	Who, Token, From, To string
	Apps, Actions        []Option
	People               []string // suggestions for Who
	Errors               map[string]string
	Active               bool // some filter is set
	// Picks: what was typed in Who or Token is part of several names;
	// the entries wait for one to be chosen.
	Picks []AuditPick
	// Taken says which full name a part typed was taken for, by field.
	Taken map[string]string
}

// AuditPick offers the names a part typed in one filter matches, each a
// link to the log filtered by it.
type AuditPick struct {
	Field, Label, Typed string
	Options             []Option // Label: the name; Value: the filtered log's URL
	More                bool     // more names match than are offered
}

// ReadAuditPage is the runtime API's read audit: fetches per minute, or
// refused fetches, filtered by client and token.
type ReadAuditPage struct {
	Page
	Tabs      []Tab
	Refusals  bool // the refused fetches tab
	Clients   []Option
	Token     string
	Errors    map[string]string
	Active    bool // some filter is set
	Reads     []ReadAuditRow
	Refused   []RefusalRow
	FirstURL  string // the newest page, when this is not it
	NextURL   string
	ExportURL string
	Action    string // the tab's own URL, where the filter form goes
}

// ReadAuditRow is one client's fetches of one token in one minute with one outcome.
type ReadAuditRow struct {
	Minute  time.Time
	Client  string
	Token   string
	Outcome string
	Count   int64
}

// RefusalRow is identical refused fetches within one minute.
type RefusalRow struct {
	Minute  time.Time
	Last    time.Time
	Reason  string
	Client  string
	Token   string
	Address string
	Count   int64
}

// SessionsPage lists a person's signed-in sessions.
type SessionsPage struct {
	Page
	Email string // whose sessions
	Own   bool
	Rows  []SessionRow
}

// SessionRow is one signed-in browser.
type SessionRow struct {
	Device   string // "Chrome on Linux"
	Address  string
	SignedIn time.Time
	LastSeen time.Time
	Now      time.Time
	Current  bool // the session of this very page
	EndURL   string
	UserID   string // sent back with the end form
}

// UserRow is one user on the Users screen.
type UserRow struct {
	ID       int64
	Email    string
	Role     string
	Sessions int
	Active   bool
	URL      string
}

// UsersPage lists users and adds them.
type UsersPage struct {
	Page
	Rows     []UserRow
	NewEmail string
	NewRole  string
	Roles    []Option
	Errors   map[string]string
	// PrevURL and NextURL lead to the neighbouring pages ("" at either end).
	PrevURL, NextURL string
}

// ErrorPage explains a failed request.
type ErrorPage struct {
	Page
	Status  int
	Heading string
	Message string
}

// When formats a time for people.
func When(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// boolStr spells a boolean for ARIA attributes, which want "true"/"false".
func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

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
	Example string
	ListURL string
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

// UserEditPage edits one user.
type UserEditPage struct {
	Page
	ID          int64
	Email       string
	Roles       []Option
	Active      bool
	Errors      map[string]string
	PostURL     string
	PasswordURL string
	SignOutURL  string
	Sessions    int
	SessionsURL string // their sessions, one by one
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

// KeyPair is what a token's page shows of the key pair tokendesk keeps for
// it, to be registered at the provider.
type KeyPair struct {
	// Service verifies the key ("Redox"); Where it is registered ("the
	// Redox dashboard"); Register how, before a first token (the
	// provider's words, completed by "under the Key ID …").
	Service, Where, Register string
	// KeyIDMade: tokendesk made the Key ID, shown with a copy button.
	KeyIDMade bool
	// CanRotate offers "New key pair" with NewMethods; JWKSCache is how
	// long the service may keep an old JWKS ("5 minutes").
	CanRotate    bool
	NewMethods   []Option
	JWKSCache    string
	PublicKeyPEM string
	JWKSURL      string
	KeyID        string   // the current key's
	Previous     []string // Key IDs of earlier keys still published
	Next         string   // Key ID of a new key published but not signing yet
	Awaiting     bool     // nobody has obtained a token with the key yet
	CSRF         string
	NewURL       string // POST: a new key pair
	RetireURL    string // POST kid: stop publishing an earlier key
	NewKeyID     string // typed into a refused New key pair form
	Error        string

	// CertificatePEM and CertificateURL are the self-signed certificate
	// to upload where the service takes one (Microsoft Entra).
	CertificatePEM string
	CertificateURL string
}
