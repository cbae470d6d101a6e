// Package views renders the console's pages with templ. Components take
// view models shaped like the screen; they never touch the database or HTTP.
package views

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

// ErrorPage explains a failed request.
type ErrorPage struct {
	Page
	Status  int
	Heading string
	Message string
}

// boolStr spells a boolean for ARIA attributes, which want "true"/"false".
func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
