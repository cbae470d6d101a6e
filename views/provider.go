package views

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
