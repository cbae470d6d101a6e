package views

import "time"

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
	// FactorsResetURL resets their second factors (after a confirmation).
	FactorsResetURL string
}
