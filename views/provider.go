package views

// KeyPair is what a token's page shows of the key pair tokendesk keeps for
// it, to be registered at the provider.
type KeyPair struct {
	// Where the key is registered, for providers other than Redox ("the
	// app's settings at Box"); the Key ID is then shown with a copy button.
	Where        string
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
