// Package provider describes external systems as data: each provider declares
// its configuration screen (labels, controls, options, defaults and the
// documented help text) and the console renders and validates forms from it.
//
// A provider lives in its own folder (redox, zoom, …) and is listed once in
// the registry package.
package provider

import (
	"slices"
	"time"
)

// Control is how a field is edited.
type Control string

// Controls.
const (
	Text     Control = "text"
	TextArea Control = "textarea"
	Select   Control = "select"
	Password Control = "password"
	Checkbox Control = "checkbox"
	Button   Control = "button"
	// Copy is a read-only value of this server to paste into another
	// system (a Redirect URI): the server's base URL followed by the
	// field's Default path. It is never submitted or stored.
	Copy Control = "copy"
)

// Keys of the fields every provider shares; provider-specific fields use
// their own keys (api_key, secret, …).
const (
	KeyName        = "name"
	KeyDescription = "description"
	KeyRenewalRate = "renewal_rate"
	KeyEncrypt     = "encrypt"
)

// Common reports whether key is one of the fields every provider shares:
// a token's own settings rather than a value stored with it.
func Common(key string) bool {
	switch key {
	case KeyName, KeyDescription, KeyRenewalRate, KeyEncrypt:
		return true
	}
	return false
}

// Option is one choice of a Select.
type Option struct {
	Value string
	Label string
}

// Field is one row of a documented configuration screen.
type Field struct {
	Key     string
	Label   string
	Control Control
	Options []Option
	Default string
	// Help is the documented "Function" text, shown as the field hint.
	Help string
	// Note is further documented guidance (accepted values, limitations).
	Note     string
	Required bool
	// RequiredWhen makes the field required while another field holds a
	// value (Shared Secret, while Signing Method is HS384).
	RequiredWhen *Condition
	// UsedWhen limits a field to some choices of another field (a Client
	// Secret is not used with a signed JWT): the form hides it for the
	// other choices, or says when it applies. A field with RequiredWhen
	// and no UsedWhen is used when it is required.
	UsedWhen *Choice
	// Secret values are write-only once stored: never rendered back.
	Secret bool
	// Credential values are stored in the token's sealed values, not in
	// plain columns.
	Credential bool
	// Endpoint values are addresses the stored secrets (and the grant) are
	// sent to: when one changes, they must be typed (or obtained) again.
	Endpoint bool
	MaxLen   int
	// Action names the provider operation a Button runs.
	Action string
	// Placeholder is shown in empty inputs.
	Placeholder string
	// Check is a further rule for a non-empty value (a URL): the field
	// error, or "" when the value is fine.
	Check func(value string) string
	// DefaultWhenMissing: a submitted form (or an export) without a value
	// takes the Default instead of being refused, for fields added after
	// tokens were saved without them (a form opened before, an older
	// export).
	DefaultWhenMissing bool
}

// Condition is another field's value, and why it matters.
type Condition struct {
	Key, Value string
	Why        string // completes "Enter the <Label>: …"
}

// Choice is the values of another field (a select) under which a field
// applies.
type Choice struct {
	Key    string
	Values []string
}

// Provider is one kind of external system.
type Provider struct {
	ID      string // stable identifier stored with tokens: "redox"
	Name    string // as people say it: "Redox"
	Summary string // the documented one-line purpose
	// Detail explains the provider in the picker (optional).
	Detail string
	// BaseURLs are the service addresses the provider calls, each
	// overridable by configuration; Env.URL(name) is the configured one.
	BaseURLs []BaseURL
	Fields   []Field
	// Actions wires the screen's buttons, by Field.Action.
	Actions map[string]Action
	// SaveTest names the action Save runs on the saved values to test
	// them (Test Connection, or getting a token where that is the test);
	// its outcome is told with the save, and a failure never undoes it.
	SaveTest string
	// Tokens says which values carry an obtained grant.
	Tokens TokenFields
	// Renew obtains a fresh access token from stored values; nil when the
	// provider has nothing to renew (a Zoom JWT app signs per call).
	Renew Renewer
	// Generate returns values tokendesk creates itself from the values to
	// be saved (a key pair on first save); nil when there are none to add.
	Generate func(values map[string]string) (map[string]string, error)
	// Keys declares the key pairs tokendesk keeps for its tokens to the
	// shared screens (values, wording); nil when it keeps none.
	Keys *KeyPairs
	// PublicKeys derives what may be published about a token's key pair;
	// ok is false when it has none.
	PublicKeys func(values map[string]string) (keys PublishedKeys, ok bool)
	// NewKeyPair publishes a new key pair under newKeyID (of method, ""
	// for the current kind) beside the current one, which signs until
	// UseNewKey; it returns the values to store.
	NewKeyPair func(values map[string]string, newKeyID, method string) (map[string]string, error)
	// UseNewKey makes the published new key pair sign, keeping the old one
	// published until RetireKey; ok is false when none is waiting.
	UseNewKey func(values map[string]string) (set map[string]string, ok bool)
	// KeyPublished reports whether the token's key set publishes keyID.
	KeyPublished func(values map[string]string, keyID string) bool
	// RetireKey stops publishing an earlier key pair; ok is false if unknown.
	RetireKey func(values map[string]string, keyID string) (set map[string]string, ok bool)
	// Kept names the values tokendesk generates and keeps for a token
	// itself (a key pair and its rotation state): secret, never shown,
	// and carried by an export with secrets so that an import signs with
	// the same key.
	Kept []string
	// Retired, when set, is the status its tokens show instead of their
	// renewal state ("Retired by Zoom"): the vendor no longer accepts them.
	Retired string
	// Notice is a warning the provider's form shows above its fields (why
	// it was retired, and what to use instead).
	Notice string
	// Consent, when set, obtains tokens through the browser (OAuth 2.0
	// authorization code); nil for providers whose buttons call the
	// service from the server only.
	Consent *Consent
	// AssumedLifetime, when set, is how long an access token of a token
	// holding values lives when nothing says (one typed by hand): what the
	// provider declares for those values (the generic OAuth 2.0 form's
	// "Access token lifetime", a preset's). nil: token.AssumedLifetime.
	AssumedLifetime func(values map[string]string) time.Duration
	// API is where the proxy (/api/v1/proxy/{name}/…) sends an app's
	// calls with a token of this provider, and how it presents the token;
	// nil: the provider declares no API, and its tokens are not proxied.
	API *API
}

// API declares a provider's API for the proxy.
type API struct {
	// Fields are the stored values Base reads besides the answer's (a
	// tenant's subdomain, the generic form's API Base URL).
	Fields []string
	// Base is the API base URL for a token's values (its stored values
	// and its answer's) where env's URLs are the configured ones; ok is
	// false when a value it needs is missing.
	Base func(env Env, values map[string]string) (base string, ok bool)
	// Header is the header the bare access token goes in (Shopify's
	// X-Shopify-Access-Token); "" is Authorization: Bearer.
	Header string
}

// TokenFields says where a provider keeps the OAuth 2.0 grant it obtains,
// and so which rules apply when a person types a token by hand.
type TokenFields struct {
	// Access is the field holding the access token ("" when the provider
	// keeps none: a Zoom JWT app signs a token per call).
	Access string
	// Refresh is the value the refresh token is kept under ("" when the
	// provider issues none). It has no field of its own: never shown.
	Refresh string
	// Answer names further values handed to consumers with the access
	// token, under the same names: what the service said about using it
	// (Zoom's api_url) or what a consumer must send with it (Redox's
	// source_id).
	Answer []string
	// TypedExpiry is the expiry rule for an access token typed by hand:
	// false (every provider today) means nothing is known about when it
	// expires, so the expiry of the grant it replaces is dropped.
	TypedExpiry bool
}

// PublishedKeys is the public half of a token's key pairs.
type PublishedKeys struct {
	PEM      string   // the current public key
	JWKS     []byte   // every published key, current first
	Previous []string // Key IDs of earlier key pairs not yet retired
	Next     string   // Key ID of a new key pair published but not signing yet
	// Certificate is a self-signed X.509 certificate of the current key
	// (PEM), for services that take a certificate instead of a key or a
	// JWKS URL (Microsoft Entra's certificate credentials); "" otherwise.
	Certificate string
}

// Field returns the field with key.
func (p Provider) Field(key string) (Field, bool) {
	for _, f := range p.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}

// Has reports whether the screen has the field.
func (p Provider) Has(key string) bool {
	_, ok := p.Field(key)
	return ok
}

// InScreenOrder sorts field keys as the screen shows them; keys without a
// field of their own come last, in their given order.
func (p Provider) InScreenOrder(keys []string) []string {
	pos := func(k string) int {
		for i, f := range p.Fields {
			if f.Key == k {
				return i
			}
		}
		return len(p.Fields)
	}
	out := append([]string(nil), keys...)
	slices.SortStableFunc(out, func(a, b string) int { return pos(a) - pos(b) })
	return out
}

// Label returns the documented label of key, or key itself for values that
// have no field of their own (an obtained refresh token).
func (p Provider) Label(key string) string {
	if f, ok := p.Field(key); ok {
		return f.Label
	}
	switch key {
	case "":
	case p.Tokens.Refresh:
		return "Refresh Token"
	case "expires_at":
		return "Token Expiry"
	case KeyEncrypt:
		return "Encrypt"
	}
	return key
}

// NameField is Token Name with the provider's documented wording.
func NameField(help string) Field {
	return Field{
		Key: KeyName, Label: "Token Name", Control: Text, Required: true, MaxLen: 100,
		Help: help,
		Note: "A text string that can have letters, numbers, and spaces.",
	}
}

// DescriptionField is the common Description field.
func DescriptionField() Field {
	return Field{
		Key: KeyDescription, Label: "Description", Control: TextArea, MaxLen: 2000,
		Help: "A description for your access token.",
		Note: "More than one line of text.",
	}
}

// EncryptField is the documented Encrypt checkbox (selected by default).
func EncryptField(help string) Field {
	return Field{
		Key: KeyEncrypt, Label: "Encrypt", Control: Checkbox, Default: "on",
		Help: help,
		Note: "AgilePoint recommends you to store this access token in the database in encrypted format.",
	}
}
