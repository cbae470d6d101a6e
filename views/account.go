package views

import "time"

// AccountPage is "Your account": the person's password, second factors
// and sessions.
type AccountPage struct {
	Page
	Email  string
	Errors map[string]string
	// AskPassword: factor changes need the current password (people made
	// by single sign-on have none).
	AskPassword bool
	// MustChange: an administrator typed the password; nothing else opens
	// until the person chooses their own.
	MustChange bool
	// MustEnrol: administrators need a second factor (Settings) and this
	// one has none yet.
	MustEnrol bool
	Factors   []FactorRow
	// RecoveryLeft counts unspent recovery codes (shown with a factor).
	RecoveryLeft int
	HasFactor    bool
	// TOTP is a one-time-code enrolment under way (nil otherwise).
	TOTP *TOTPEnrolment
	// RecoveryCodes are new recovery codes, shown this once.
	RecoveryCodes []string
	SessionsURL   string
}

// FactorRow is one second factor in the list.
type FactorRow struct {
	Kind      string // "Authenticator app" or "Passkey"
	Name      string
	Added     time.Time
	LastUsed  time.Time
	Now       time.Time
	RemoveURL string
}

// TOTPEnrolment shows a new TOTP secret until it is confirmed.
type TOTPEnrolment struct {
	FactorID   int64
	QR         string // PNG data URL
	URI        string // otpauth://
	Secret     string // in groups of four
	ConfirmURL string
	Error      string
}

// FactorRemovePage asks before removing a factor.
type FactorRemovePage struct {
	Page
	Kind, Name string
	PostURL    string
	Last       bool // the last factor: recovery codes go too
	// AskPassword: the person has a password to prove who they are with.
	AskPassword bool
	Error       string // about the current password
}

// SecondFactorPage is the second step of signing in.
type SecondFactorPage struct {
	Page
	Email string
	Error string
	// HasPasskey offers "Use a passkey".
	HasPasskey bool
	HasTOTP    bool
}

// FactorsResetPage asks an administrator before resetting someone's factors.
type FactorsResetPage struct {
	Page
	Email     string
	PostURL   string
	CancelURL string
}

// InvitePage is the administrator's invitation form, and then its link.
type InvitePage struct {
	Page
	Email  string
	Roles  []Option
	Apps   []Option
	Errors map[string]string
	// After sending: Link is shown once when no mail went out.
	Sent      bool
	SentTo    string
	Link      string
	MailSent  bool
	ExpiresAt time.Time
	Pending   []InvitationRow
}

// InvitationRow is one invitation not yet used.
type InvitationRow struct {
	Email, Role, InvitedBy string
	ExpiresAt              time.Time
}

// InvitationPage is where an invited person chooses their password.
type InvitationPage struct {
	Page
	Email  string
	Token  string
	Errors map[string]string
	// Refusal replaces the form for a used, expired or unknown link.
	Refusal string
	// SSOName names the organisation's identity provider when single
	// sign-on is on: the invited person may sign in with it instead;
	// PasswordOff leaves that the only way.
	SSOName     string
	PasswordOff bool
}
