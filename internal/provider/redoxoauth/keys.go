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

	"github.com/tokendesk/tokendesk/internal/token"
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
	// Nobody registered the new key at Redox yet: the token waits for that
	// instead of failing scheduled renewals.
	return map[string]string{
		KeyPrivateKey:     string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		token.KeyAwaiting: "1",
	}, nil
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
	// Next is the Key ID of a new key pair published but not signing yet.
	Next string
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

// KeyNext holds a new key pair published in the JWKS but not signing
// yet, so that Redox (and caches of the JWKS) know it before it is used:
// JSON {kid, pem}.
const KeyNext = "next_key"

func nextKey(values map[string]string) (previousKey, bool) {
	var k previousKey
	if json.Unmarshal([]byte(values[KeyNext]), &k) != nil || k.KID == "" {
		return previousKey{}, false
	}
	return k, true
}

// ErrSameKeyID: a new key pair needs a Key ID of its own.
var ErrSameKeyID = errors.New("the new key pair needs a Key ID that no published key uses")

// ErrNextWaiting: a new key pair is already published and not signing yet.
var ErrNextWaiting = errors.New("a new key pair is already waiting to sign")

// Published reports whether kid names a key the token's JWKS publishes
// (the current key, one waiting to sign, or an earlier one not retired).
func Published(values map[string]string, kid string) bool {
	if methodOf(values) != HS384 && values[KeyPrivateKey] != "" && values[KeyKeyID] == kid {
		return true
	}
	if n, ok := nextKey(values); ok && n.KID == kid {
		return true
	}
	for _, k := range previousKeys(values) {
		if k.KID == kid {
			return true
		}
	}
	return false
}

// Rotate makes a new key pair (method RS384 or ES384; "" keeps the current
// kind) under newKeyID and publishes it beside the current one, which
// keeps signing until UseNext: consumers of the JWKS and the Redox
// dashboard learn the new key before anything is signed with it. It
// returns the values to store.
func Rotate(values map[string]string, newKeyID, method string) (map[string]string, error) {
	cur, err := parsePrivateKey(values[KeyPrivateKey])
	if err != nil || methodOf(values) == HS384 {
		return nil, errNoKey
	}
	if _, waiting := nextKey(values); waiting {
		return nil, ErrNextWaiting
	}
	if newKeyID == "" || Published(values, newKeyID) {
		return nil, ErrSameKeyID
	}
	if method != RS384 && method != ES384 {
		method = keyMethod(cur)
	}
	fresh, err := generate(map[string]string{KeySigning: method})
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(previousKey{KID: newKeyID, PEM: fresh[KeyPrivateKey]})
	return map[string]string{KeyNext: string(b)}, nil
}

// UseNext makes the waiting key pair sign from now on, under its Key ID
// and method; the one it replaces stays in the JWKS until it is retired.
// ok is false when no key pair is waiting.
func UseNext(values map[string]string) (map[string]string, bool) {
	next, ok := nextKey(values)
	if !ok {
		return nil, false
	}
	k, err := parsePrivateKey(next.PEM)
	if err != nil {
		return nil, false
	}
	prev := previousKeys(values)
	if values[KeyPrivateKey] != "" {
		prev = append(prev, previousKey{KID: values[KeyKeyID], PEM: values[KeyPrivateKey]})
	}
	return map[string]string{
		KeyPrivateKey: next.PEM, KeyKeyID: next.KID, KeySigning: keyMethod(k),
		KeyPrevious: encodePrevious(prev), KeyNext: "",
	}, true
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
	if n, ok := nextKey(values); ok {
		if nk, err := parsePrivateKey(n.PEM); err == nil {
			if j, ok := publicJWK(nk, n.KID); ok {
				keys = append(keys, j)
				out.Next = n.KID
			}
		}
	}
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
