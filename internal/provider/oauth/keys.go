package oauth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/redoxoauth"
)

// AssertionLifetime is how long a signed client assertion is valid.
const AssertionLifetime = 4 * time.Minute

// generate makes the RS384 key pair a private_key_jwt client signs with,
// on the first save that asks for one. Its Key ID is made with it: the
// page shows it with the public key and JWKS URL to register.
func generate(values map[string]string) (map[string]string, error) {
	if values[KeyClientAuth] != AuthJWT {
		return nil, nil
	}
	if _, err := parsePrivateKey(values[KeyPrivateKey]); err == nil {
		return nil, nil
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("oauth: generating a key pair: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("oauth: encoding the private key: %w", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	return map[string]string{
		KeyPrivateKey: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		KeyKeyID:      "tokendesk-" + hex.EncodeToString(b),
	}, nil
}

func parsePrivateKey(text string) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode([]byte(text))
	if b == nil {
		return nil, errors.New("no key pair")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return rk, nil
}

// publicKeys is what the page and /jwks/{slug}.json publish: Redox (OAuth
// 2.0)'s code, which reads the same value names, makes the JWKS.
func publicKeys(values map[string]string) (provider.PublishedKeys, bool) {
	if values[KeyClientAuth] != AuthJWT {
		return provider.PublishedKeys{}, false
	}
	k, ok := redoxoauth.Public(map[string]string{KeyPrivateKey: values[KeyPrivateKey], KeyKeyID: values[KeyKeyID]})
	if !ok {
		return provider.PublishedKeys{}, false
	}
	return provider.PublishedKeys{PEM: k.PEM, JWKS: k.JWKS}, true
}

// signAssertion is the RFC 7523 client assertion: iss = sub = the client
// ID, aud = the token URL, a short life and a unique jti, signed RS384
// (the alg the published JWK names) under the Key ID.
func signAssertion(values map[string]string, aud string, at time.Time) (string, error) {
	k, err := parsePrivateKey(values[KeyPrivateKey])
	if err != nil {
		return "", errNoKeyPair
	}
	b := make([]byte, 16)
	rand.Read(b)
	tok := jwt.NewWithClaims(jwt.SigningMethodRS384, jwt.MapClaims{
		"iss": values[KeyClientID], "sub": values[KeyClientID], "aud": aud,
		"iat": at.Unix(), "exp": at.Add(AssertionLifetime).Unix(), "jti": hex.EncodeToString(b),
	})
	tok.Header["kid"] = values[KeyKeyID]
	return tok.SignedString(k)
}
