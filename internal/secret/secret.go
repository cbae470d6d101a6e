// Package secret seals credential values at rest with AES-256-GCM.
//
// Every sealed value carries its own random nonce and is bound to associated
// data naming where it lives (a token's id and field), so a ciphertext copied
// to another row or field fails to open instead of decrypting to a valid but
// misplaced secret.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of the master key: AES-256.
const KeySize = 32

// formatV1 prefixes every sealed value so the format can evolve.
const formatV1 byte = 1

// ErrOpen is returned for any value that does not open: tampered, moved to
// another field or row, or sealed under a different master key. GCM cannot
// tell these apart, and the caller should not try to.
var ErrOpen = errors.New("secret: stored value cannot be decrypted (tampered, moved, or sealed with another master key)")

// ErrWrongKey means the master key is not the one the database was created with.
var ErrWrongKey = errors.New("the master key does not match the one this database was created with")

// Box seals and opens values under one master key.
type Box struct {
	aead cipher.AEAD
	key  []byte
}

// NewBox returns a Box for a 32-byte master key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret: master key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return &Box{aead: aead, key: append([]byte(nil), key...)}, nil
}

// Seal encrypts plaintext bound to aad. The result is version | nonce | ciphertext.
func (b *Box) Seal(plaintext []byte, aad string) []byte {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		// crypto/rand never fails on supported platforms; a nonce we cannot
		// trust must not be used.
		panic("secret: reading random nonce: " + err.Error())
	}
	out := make([]byte, 0, 1+len(nonce)+len(plaintext)+b.aead.Overhead())
	out = append(out, formatV1)
	out = append(out, nonce...)
	return b.aead.Seal(out, nonce, plaintext, []byte(aad))
}

// Open decrypts a value sealed by Seal with the same aad.
func (b *Box) Open(sealed []byte, aad string) ([]byte, error) {
	ns := b.aead.NonceSize()
	if len(sealed) < 1+ns+b.aead.Overhead() || sealed[0] != formatV1 {
		return nil, ErrOpen
	}
	plain, err := b.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], []byte(aad))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// SealString and OpenString are the text-friendly forms used for values that
// travel through HTML forms (base64url, no padding).
func (b *Box) SealString(plaintext []byte, aad string) string {
	return base64.RawURLEncoding.EncodeToString(b.Seal(plaintext, aad))
}

// OpenString reverses SealString.
func (b *Box) OpenString(sealed, aad string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return nil, ErrOpen
	}
	return b.Open(raw, aad)
}

// DeriveKey returns a 32-byte subkey for one purpose (CSRF tokens, session
// signing), so the master key itself is only ever used for sealing.
func (b *Box) DeriveKey(purpose string) []byte {
	k, err := hkdf.Key(sha256.New, b.key, nil, "tokendesk "+purpose, 32)
	if err != nil {
		panic("secret: hkdf: " + err.Error()) // only fails for absurd lengths
	}
	return k
}

const keyCheckAAD = "tokendesk:key-check"

// KeyCheck returns a value to store beside the data; VerifyKeyCheck later
// proves the same key is in use, so a wrong key stops start-up instead of
// surfacing as garbage or decryption errors on every screen.
func (b *Box) KeyCheck() []byte {
	return b.Seal([]byte("tokendesk key check v1"), keyCheckAAD)
}

// VerifyKeyCheck reports ErrWrongKey when check was sealed under another key.
func (b *Box) VerifyKeyCheck(check []byte) error {
	if _, err := b.Open(check, keyCheckAAD); err != nil {
		return ErrWrongKey
	}
	return nil
}

// GenerateKey returns a fresh random master key.
func GenerateKey() []byte {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		panic("secret: reading random key: " + err.Error())
	}
	return k
}

// ParseKey decodes a base64 (standard or URL alphabet, padded or not) master key.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("must decode to %d bytes, got %d", KeySize, len(k))
			}
			return k, nil
		}
	}
	return nil, errors.New("is not valid base64")
}

// LoadOrCreateKeyFile reads the base64 master key in path, creating it with a
// fresh key (mode 0600) when it does not exist yet. created reports a new key.
func LoadOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	data, err := os.ReadFile(path)
	if err == nil {
		k, perr := ParseKey(string(data))
		if perr != nil {
			return nil, false, fmt.Errorf("master key file %s %v", path, perr)
		}
		return k, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("reading master key file: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("creating master key directory: %w", err)
	}
	k := GenerateKey()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("creating master key file: %w", err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("writing master key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, false, fmt.Errorf("writing master key file: %w", err)
	}
	return k, true, nil
}
