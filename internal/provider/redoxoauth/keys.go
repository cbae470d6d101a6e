package redoxoauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
)

// rsaBits is the size of generated RSA keys.
const rsaBits = 2048

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
	var key crypto.Signer
	var err error
	if method == ES384 {
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	} else {
		key, err = rsa.GenerateKey(rand.Reader, rsaBits)
	}
	if err != nil {
		return nil, fmt.Errorf("redoxoauth: generating a key pair: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("redoxoauth: encoding the private key: %w", err)
	}
	return map[string]string{KeyPrivateKey: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))}, nil
}

func methodOf(values map[string]string) string {
	switch m := values[KeySigning]; m {
	case ES384, HS384:
		return m
	}
	return RS384
}

func keyMethod(k crypto.Signer) string {
	if _, ok := k.(*ecdsa.PrivateKey); ok {
		return ES384
	}
	return RS384
}

var errNoKey = errors.New("no key pair")

func parsePrivateKey(pemText string) (crypto.Signer, error) {
	b, _ := pem.Decode([]byte(pemText))
	if b == nil {
		return nil, errNoKey
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errNoKey
	}
	return s, nil
}

// PublicKeys is what may be shown and published about a token's key pair.
type PublicKeys struct {
	PEM  string // the public key, PKIX PEM
	JWKS []byte // {"keys":[…]} with the key under its Key ID
}

// Public derives the publishable half of a token's key pair from its
// stored values; ok is false when the token signs with a shared secret or
// has no key pair yet.
func Public(values map[string]string) (PublicKeys, bool) {
	if methodOf(values) == HS384 {
		return PublicKeys{}, false
	}
	k, err := parsePrivateKey(values[KeyPrivateKey])
	if err != nil {
		return PublicKeys{}, false
	}
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		return PublicKeys{}, false
	}
	jwk := map[string]string{"kid": values[KeyKeyID], "use": "sig"}
	b64 := func(n *big.Int, size int) string {
		return base64.RawURLEncoding.EncodeToString(n.FillBytes(make([]byte, size)))
	}
	switch pub := k.Public().(type) {
	case *rsa.PublicKey:
		jwk["kty"], jwk["alg"] = "RSA", "RS384"
		jwk["n"] = base64.RawURLEncoding.EncodeToString(pub.N.Bytes())
		jwk["e"] = base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes())
	case *ecdsa.PublicKey:
		jwk["kty"], jwk["alg"], jwk["crv"] = "EC", "ES384", "P-384"
		jwk["x"], jwk["y"] = b64(pub.X, 48), b64(pub.Y, 48)
	default:
		return PublicKeys{}, false
	}
	jwks, _ := json.Marshal(map[string]any{"keys": []any{jwk}})
	return PublicKeys{PEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), JWKS: jwks}, true
}
