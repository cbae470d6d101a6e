package views

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
