// Package keypair is the key-pair machinery providers share: tokendesk
// generates a key pair for a token, keeps the private key sealed with its
// values, publishes the public half (PEM, JWKS) for the service to verify
// signed assertions, and rotates it without an outage. A provider declares
// what it uses of it (provider.KeyPairs); nothing here is any vendor's.
package keypair

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
)

// Kind is what a key pair is made of.
type Kind int

// Kinds of key pair.
const (
	RSA  Kind = iota // 2048-bit RSA
	P256             // ECDSA on P-256
	P384             // ECDSA on P-384
)

// rsaBits is the size of generated RSA keys.
const rsaBits = 2048

// ErrNoKey: the values hold no usable key pair.
var ErrNoKey = errors.New("no key pair")

// Generate makes a key pair of kind and returns its private key as PKCS #8
// PEM, the form tokens keep it in.
func Generate(kind Kind) (string, error) {
	var key crypto.Signer
	var err error
	switch kind {
	case P256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case P384:
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	default:
		key, err = rsa.GenerateKey(rand.Reader, rsaBits)
	}
	if err != nil {
		return "", fmt.Errorf("keypair: generating a key pair: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("keypair: encoding the private key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// Parse reads a PKCS #8 PEM private key: an RSA or ECDSA key.
func Parse(pemText string) (crypto.Signer, error) {
	b, _ := pem.Decode([]byte(pemText))
	if b == nil {
		return nil, ErrNoKey
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	switch sk := k.(type) {
	case *rsa.PrivateKey:
		return sk, nil
	case *ecdsa.PrivateKey:
		return sk, nil
	}
	return nil, errors.New("not an RSA or EC key")
}

// KindOf is what k is made of.
func KindOf(k crypto.Signer) Kind {
	if ec, ok := k.(*ecdsa.PrivateKey); ok {
		if ec.Curve == elliptic.P256() {
			return P256
		}
		return P384
	}
	return RSA
}

// PublicPEM is the public half of k, PKIX PEM.
func PublicPEM(k crypto.Signer) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// JWK is the public half of k as a JSON Web Key under kid, for signing
// with alg; ok is false for a key of another kind.
func JWK(k crypto.Signer, kid, alg string) (map[string]string, bool) {
	jwk := map[string]string{"kid": kid, "use": "sig", "alg": alg}
	switch pub := k.Public().(type) {
	case *rsa.PublicKey:
		jwk["kty"] = "RSA"
		jwk["n"] = base64.RawURLEncoding.EncodeToString(pub.N.Bytes())
		jwk["e"] = base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes())
	case *ecdsa.PublicKey:
		size := (pub.Curve.Params().BitSize + 7) / 8
		jwk["kty"], jwk["crv"] = "EC", pub.Curve.Params().Name
		jwk["x"] = base64.RawURLEncoding.EncodeToString(pub.X.FillBytes(make([]byte, size)))
		jwk["y"] = base64.RawURLEncoding.EncodeToString(pub.Y.FillBytes(make([]byte, size)))
	default:
		return nil, false
	}
	return jwk, true
}
