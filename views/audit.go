package views

import "time"

// Tab is one of a screen's tabs.
type Tab struct {
	Label   string
	URL     string
	Current bool
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
