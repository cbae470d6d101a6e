package oauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/keypair"
)

// AssertionLifetime is how long a signed client assertion is valid.
const AssertionLifetime = 4 * time.Minute

// KeySigningAlg is the private_key_jwt Signing Algorithm.
const KeySigningAlg = "signing_alg"

// Signing algorithms of a client assertion. RFC 7518 makes RS256
// Recommended; many servers accept only RS256, PS256 and ES256 by default
// (panva's oidc-provider answers "alg mismatch" to RS384), so RS256 is
// the default. RS384 is what tokens saved before the choice sign with.
const (
	RS256 = "RS256"
	PS256 = "PS256"
	ES256 = "ES256"
	RS384 = "RS384"
)

func signingAlgField(only ...string) provider.Field {
	f := provider.Field{
		Key: KeySigningAlg, Label: "Signing Algorithm", Control: provider.Select, Credential: true,
		DefaultWhenMissing: true,
		Options: []provider.Option{
			{Value: RS256, Label: "RS256 (RSA)"}, {Value: PS256, Label: "PS256 (RSA-PSS)"},
			{Value: ES256, Label: "ES256 (ECDSA P-256)"}, {Value: RS384, Label: "RS384 (RSA)"},
		},
		Default: RS256,
		Help: "For Signed JWT (private_key_jwt): the algorithm tokendesk signs its client assertion with. " +
			"Choose the one the app is registered with at the service; most accept RS256.",
	}
	if len(only) > 0 {
		var opts []provider.Option
		for _, o := range f.Options {
			if slices.Contains(only, o.Value) {
				opts = append(opts, o)
			}
		}
		f.Options, f.Default = opts, only[0]
	}
	return f
}

// signingAlg is the token's algorithm; RS384 for tokens saved before the
// choice existed, which registered an RS384 key.
func signingAlg(values map[string]string) string {
	switch a := values[KeySigningAlg]; a {
	case RS256, PS256, ES256, RS384:
		return a
	}
	return RS384
}

func signingMethod(alg string) jwt.SigningMethod {
	switch alg {
	case RS256:
		return jwt.SigningMethodRS256
	case PS256:
		return jwt.SigningMethodPS256
	case ES256:
		return jwt.SigningMethodES256
	}
	return jwt.SigningMethodRS384
}

// fits reports whether key can sign with alg.
func fits(key crypto.Signer, alg string) bool {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return alg != ES256
	case *ecdsa.PrivateKey:
		return alg == ES256 && k.Curve == elliptic.P256()
	}
	return false
}

// generate makes the key pair a private_key_jwt client signs with, on the
// first save that asks for one, or when the Signing Algorithm chosen needs
// another kind of key (ES256 signs with an elliptic-curve key). Its Key ID
// is made with it: the page shows it with the public key and JWKS URL to
// register.
func generate(values map[string]string) (map[string]string, error) {
	if values[KeyClientAuth] != AuthJWT {
		return nil, nil
	}
	alg := signingAlg(values)
	if k, err := parsePrivateKey(values[KeyPrivateKey]); err == nil && fits(k, alg) {
		return nil, nil
	}
	kind := keypair.RSA
	if alg == ES256 {
		kind = keypair.P256
	}
	pemText, err := keypair.Generate(kind)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 6)
	rand.Read(b)
	return map[string]string{KeyPrivateKey: pemText, KeyKeyID: "tokendesk-" + hex.EncodeToString(b)}, nil
}

func parsePrivateKey(text string) (crypto.Signer, error) { return keypair.Parse(text) }

// publicKeys is what the page and /jwks/{slug}.json publish: the public
// key, and a JWKS whose one key names the algorithm it signs with.
func publicKeys(values map[string]string) (provider.PublishedKeys, bool) {
	if values[KeyClientAuth] != AuthJWT {
		return provider.PublishedKeys{}, false
	}
	k, err := parsePrivateKey(values[KeyPrivateKey])
	if err != nil {
		return provider.PublishedKeys{}, false
	}
	pub, err := keypair.PublicPEM(k)
	if err != nil {
		return provider.PublishedKeys{}, false
	}
	alg := signingAlg(values)
	if !fits(k, alg) {
		return provider.PublishedKeys{}, false
	}
	jwk, ok := keypair.JWK(k, values[KeyKeyID], alg)
	if !ok {
		return provider.PublishedKeys{}, false
	}
	jwks, _ := json.Marshal(map[string]any{"keys": []any{jwk}})
	return provider.PublishedKeys{PEM: pub, JWKS: jwks, Certificate: values[KeyCertificate]}, true
}

// signAssertion is the RFC 7523 client assertion: iss = sub = the client
// ID, aud = the token URL, a short life and a unique jti, signed with the
// Signing Algorithm under the Key ID.
func signAssertion(values map[string]string, aud string, at time.Time) (string, error) {
	k, err := parsePrivateKey(values[KeyPrivateKey])
	alg := signingAlg(values)
	if err != nil || !fits(k, alg) {
		return "", errNoKeyPair
	}
	b := make([]byte, 16)
	rand.Read(b)
	tok := jwt.NewWithClaims(signingMethod(alg), jwt.MapClaims{
		"iss": values[KeyClientID], "sub": values[KeyClientID], "aud": aud,
		"iat": at.Unix(), "exp": at.Add(AssertionLifetime).Unix(), "jti": hex.EncodeToString(b),
	})
	tok.Header["kid"] = values[KeyKeyID]
	if cert := values[KeyCertificate]; cert != "" {
		// Entra finds the uploaded certificate by its thumbprint.
		if b, _ := pem.Decode([]byte(cert)); b != nil {
			sum := sha256.Sum256(b.Bytes)
			tok.Header["x5t#S256"] = base64.RawURLEncoding.EncodeToString(sum[:])
		}
	}
	return tok.SignedString(k)
}

// KeyCertificate is the self-signed certificate of the key pair, for
// services that register certificates (Microsoft Entra).
const KeyCertificate = "certificate"

// CertificateLifetime is how long a generated certificate is valid: the
// longest Entra suggests for certificate credentials.
const CertificateLifetime = 2 * 365 * 24 * time.Hour

// generateWithCertificate is generate, plus a self-signed X.509
// certificate of the key pair (made again whenever the key pair is): Entra
// takes an uploaded certificate, not a public key or a JWKS URL.
func generateWithCertificate(values map[string]string, at time.Time) (map[string]string, error) {
	if values[KeyClientAuth] != AuthJWT {
		return nil, nil
	}
	out, err := generate(values)
	if err != nil {
		return nil, err
	}
	keyPEM, kid := values[KeyPrivateKey], values[KeyKeyID]
	if out != nil {
		keyPEM, kid = out[KeyPrivateKey], out[KeyKeyID]
	} else if values[KeyCertificate] != "" && certificateOf(values[KeyCertificate], keyPEM) {
		return nil, nil
	}
	k, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "tokendesk " + kid},
		NotBefore: at.Add(-time.Hour), NotAfter: at.Add(CertificateLifetime),
		KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		return nil, fmt.Errorf("oauth: making a certificate: %w", err)
	}
	if out == nil {
		out = map[string]string{}
	}
	out[KeyCertificate] = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return out, nil
}

// certificateOf reports whether the certificate is of the key pair.
func certificateOf(certPEM, keyPEM string) bool {
	b, _ := pem.Decode([]byte(certPEM))
	k, err := parsePrivateKey(keyPEM)
	if b == nil || err != nil {
		return false
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return false
	}
	pub, ok := k.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(cert.PublicKey)
}

// withClientAuthHelp rewords Client Authentication's help.
func withClientAuthHelp(fields []provider.Field, help string) []provider.Field {
	for i := range fields {
		if fields[i].Key == KeyClientAuth {
			fields[i].Help = help
		}
	}
	return fields
}
