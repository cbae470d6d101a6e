package views

// LoginPage is the sign-in form.
type LoginPage struct {
	Page
	Email string
	Error string
	Next  string
	// SSOName is set when single sign-on is on: "Sign in with <SSOName>".
	SSOName string
	// PasswordOff folds the password form away: only break-glass
	// administrators still use it.
	PasswordOff bool
}

// SetupPage creates the first administrator.
type SetupPage struct {
	Page
	Email  string
	Errors map[string]string
}
