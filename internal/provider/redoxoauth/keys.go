package redoxoauth

import (
	"crypto"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/keypair"
	"github.com/tokendesk/tokendesk/internal/token"
)

// generate creates the key pair the signing method needs when the token
// has none (or one of the other kind): on first save, and when the method
// changes from HS384 or between RS384 and ES384.
func generate(values map[string]string) (map[string]string, error) {
	method := methodOf(values)
	if method == HS384 {
		return nil, nil
	}
	if k, err := parsePrivateKey(values[KeyPrivateKey]); err == nil && keyMethod(k) == method {
		return nil, nil
	}
	pemText, err := keypair.Generate(kindOf(method))
	if err != nil {
		return nil, err
	}
	// Nobody registered the new key at Redox yet: the token waits for that
	// instead of failing scheduled renewals.
	return map[string]string{KeyPrivateKey: pemText, token.KeyAwaiting: "1"}, nil
}

func kindOf(method string) keypair.Kind {
	if method == ES384 {
		return keypair.P384
	}
	return keypair.RSA
}

func methodOf(values map[string]string) string {
	switch m := values[KeySigning]; m {
	case ES384, HS384:
		return m
	}
	return RS384
}

func keyMethod(k crypto.Signer) string {
	if keypair.KindOf(k) == keypair.RSA {
		return RS384
	}
	return ES384
}

func parsePrivateKey(pemText string) (crypto.Signer, error) { return keypair.Parse(pemText) }

// Values tokendesk keeps while a key pair is rotated (keypair's).
const (
	KeyPrevious = keypair.KeyPrevious
	KeyNext     = keypair.KeyNext
)

// rotation is Redox's key pair over the token's values: RS384 or ES384,
// the Key ID typed on the form, and no key pair at all with HS384.
var rotation = keypair.Rotation{
	PrivateKey: KeyPrivateKey, KeyID: KeyKeyID,
	Method: KeySigning, MethodOf: keyMethod,
	Signs: func(values map[string]string) bool { return methodOf(values) != HS384 },
	Make: func(method string, current crypto.Signer) (string, error) {
		if method != RS384 && method != ES384 {
			method = keyMethod(current)
		}
		return keypair.Generate(kindOf(method))
	},
	Alg: func(k crypto.Signer) string { return map[string]string{RS384: "RS384", ES384: "ES384"}[keyMethod(k)] },
}

// Public derives the publishable half of a token's key pairs from its
// stored values; ok is false when the token signs with a shared secret or
// has no key pair yet.
func Public(values map[string]string) (provider.PublishedKeys, bool) { return rotation.Public(values) }
