package views

import (
	"time"

	"github.com/tokendesk/tokendesk/internal/token"
)

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
	// Usage shows how an app fetches a saved token (nil on Add Token).
	Usage *APIUsage
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
