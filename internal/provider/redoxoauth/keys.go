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
	JWKS []byte // {"keys":[…]}: the key under its Key ID, then the keys not yet retired
	// Previous are the Key IDs of earlier key pairs still published.
	Previous []string
}

// KeyPrevious holds earlier key pairs still published in the JWKS after a
// "New key pair", so that rotating is not an outage: JSON [{kid, pem}].
const KeyPrevious = "previous_keys"

type previousKey struct {
	KID string `json:"kid"`
	PEM string `json:"pem"`
}

func previousKeys(values map[string]string) []previousKey {
	var out []previousKey
	json.Unmarshal([]byte(values[KeyPrevious]), &out)
	return out
}

func encodePrevious(keys []previousKey) string {
	if len(keys) == 0 {
		return ""
	}
	b, _ := json.Marshal(keys)
	return string(b)
}

// ErrSameKeyID: a new key pair needs a Key ID of its own.
var ErrSameKeyID = errors.New("the new key pair needs a Key ID that no published key uses")

// Rotate makes a new key pair under newKeyID and keeps the current one in
// the JWKS, under its Key ID, until it is retired. It returns the values
// to store.
func Rotate(values map[string]string, newKeyID string) (map[string]string, error) {
	cur, err := parsePrivateKey(values[KeyPrivateKey])
	if err != nil || methodOf(values) == HS384 {
		return nil, errNoKey
	}
	prev := previousKeys(values)
	if newKeyID == "" || newKeyID == values[KeyKeyID] {
		return nil, ErrSameKeyID
	}
	for _, k := range prev {
		if k.KID == newKeyID {
			return nil, ErrSameKeyID
		}
	}
	fresh, err := generate(map[string]string{KeySigning: keyMethod(cur)})
	if err != nil {
		return nil, err
	}
	prev = append(prev, previousKey{KID: values[KeyKeyID], PEM: values[KeyPrivateKey]})
	return map[string]string{KeyPrivateKey: fresh[KeyPrivateKey], KeyKeyID: newKeyID, KeyPrevious: encodePrevious(prev)}, nil
}

// Retire stops publishing the earlier key pair kid; ok is false when there
// is no such key.
func Retire(values map[string]string, kid string) (map[string]string, bool) {
	prev := previousKeys(values)
	for i, k := range prev {
		if k.KID == kid {
			prev = append(prev[:i], prev[i+1:]...)
			return map[string]string{KeyPrevious: encodePrevious(prev)}, true
		}
	}
	return nil, false
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
	jwk, ok := publicJWK(k, values[KeyKeyID])
	if !ok {
		return PublicKeys{}, false
	}
	out := PublicKeys{PEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
	keys := []any{jwk}
	for _, p := range previousKeys(values) {
		if pk, err := parsePrivateKey(p.PEM); err == nil {
			if j, ok := publicJWK(pk, p.KID); ok {
				keys = append(keys, j)
				out.Previous = append(out.Previous, p.KID)
			}
		}
	}
	out.JWKS, _ = json.Marshal(map[string]any{"keys": keys})
	return out, true
}

// publicJWK is the public half of k as a JWK under kid.
func publicJWK(k crypto.Signer, kid string) (map[string]string, bool) {
	jwk := map[string]string{"kid": kid, "use": "sig"}
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
		return nil, false
	}
	return jwk, true
}
