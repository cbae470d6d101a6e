// Package transfer is the file format of Import / Export: token
// definitions as versioned JSON, optionally with their secrets, in which
// case the whole file is encrypted under a passphrase with age (scrypt).
// It knows nothing of the database or HTTP: it turns tokens into bytes
// and bytes back into tokens, refusing anything it cannot vouch for.
package transfer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// Format and Version name what a file holds. A reader refuses any other
// format, and any version it does not know: a newer tokendesk may add
// meaning an older one would silently drop.
const (
	Format  = "tokendesk.access-tokens"
	Version = 1
)

// MaxSize is the largest file an import reads.
const MaxSize = 5 << 20

// WorkFactor is scrypt's cost (2^18: about a second and 256 MiB), age's
// own default. Decrypting accepts no more than that, so a crafted file
// cannot make the server spend more.
const WorkFactor = 18

// MinPassphrase is the shortest passphrase an export accepts, in characters.
const MinPassphrase = 12

// File is an export.
type File struct {
	Format     string    `json:"format"`
	Version    int       `json:"version"`
	ExportedAt time.Time `json:"exported_at"`
	// Scope is where the tokens came from: "global" or "app".
	Scope string `json:"scope"`
	// Secrets says the tokens carry their secret values; such a file is
	// always encrypted.
	Secrets bool    `json:"secrets"`
	Tokens  []Token `json:"tokens"`
}

// Scopes.
const (
	ScopeGlobal = "global"
	ScopeApp    = "app"
)

// Token is one token's definition.
type Token struct {
	// Provider is the provider's stored identifier ("redox", "zoom-s2s").
	Provider    string `json:"provider"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// RenewalRate is a rate key ("1h", "disabled").
	RenewalRate string `json:"renewal_rate"`
	Encrypt     bool   `json:"encrypt"`
	// Values are the non-secret fields of the provider's form, by field key.
	Values map[string]string `json:"values"`
	// Secrets are the secret fields and the values tokendesk keeps itself
	// (a key pair), by key; only in an encrypted file. Obtained access and
	// refresh tokens are never exported.
	Secrets map[string]string `json:"secrets,omitempty"`
	// Permissions are a global token's Permission Settings.
	Permissions *Permissions `json:"permissions,omitempty"`
}

// Permissions says which apps may use a global token; apps are named, as
// ids mean nothing in another installation.
type Permissions struct {
	EveryApp bool     `json:"every_app"`
	Apps     []string `json:"apps,omitempty"`
}

// Reasons a file is refused. Each says what is wrong with the file; none
// carries its content.
var (
	ErrTooLarge        = errors.New("transfer: file too large")
	ErrEmpty           = errors.New("transfer: empty file")
	ErrNeedsPassphrase = errors.New("transfer: the file is encrypted")
	ErrWrongPassphrase = errors.New("transfer: wrong passphrase")
	ErrDamaged         = errors.New("transfer: the encrypted file is damaged")
	ErrNotExport       = errors.New("transfer: not a tokendesk export")
	ErrVersion         = errors.New("transfer: unsupported version")
	ErrPlainSecrets    = errors.New("transfer: secrets in an unencrypted file")
)

// UnknownFieldError names a field of the file that this version does not know.
type UnknownFieldError struct{ Field string }

func (e *UnknownFieldError) Error() string { return "transfer: unknown field " + e.Field }

// Encrypted reports whether data is an age file (binary or armored).
func Encrypted(data []byte) bool {
	d := bytes.TrimLeft(data, " \t\r\n")
	return bytes.HasPrefix(d, []byte(armor.Header)) || bytes.HasPrefix(d, []byte("age-encryption.org/"))
}

// Encode writes f as indented JSON, encrypted (armored age, scrypt at
// 2^workFactor) under passphrase when it is not empty. A file carrying
// secrets without a passphrase is a programming error.
func Encode(f File, passphrase string, workFactor int) ([]byte, error) {
	f.Format, f.Version = Format, Version
	f.Secrets = false
	for _, t := range f.Tokens {
		if len(t.Secrets) > 0 {
			f.Secrets = true
		}
	}
	if f.Secrets && passphrase == "" {
		return nil, errors.New("transfer: secrets need a passphrase")
	}
	plain, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("transfer: encoding: %w", err)
	}
	plain = append(plain, '\n')
	if passphrase == "" {
		return plain, nil
	}
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	r.SetWorkFactor(workFactor)
	var out bytes.Buffer
	aw := armor.NewWriter(&out)
	w, err := age.Encrypt(aw, r)
	if err != nil {
		return nil, fmt.Errorf("transfer: encrypting: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("transfer: encrypting: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("transfer: encrypting: %w", err)
	}
	if err := aw.Close(); err != nil {
		return nil, fmt.Errorf("transfer: encrypting: %w", err)
	}
	return out.Bytes(), nil
}

// Decode reads a file, decrypting it with passphrase if it is encrypted.
// It returns one of the Err* reasons (or an *UnknownFieldError) for a file
// it refuses; the whole file is read and checked before anything is
// returned, so a truncated or tampered file yields nothing.
func Decode(data []byte, passphrase string) (File, error) {
	if len(data) > MaxSize {
		return File{}, ErrTooLarge
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return File{}, ErrEmpty
	}
	encrypted := Encrypted(data)
	plain := data
	if encrypted {
		if passphrase == "" {
			return File{}, ErrNeedsPassphrase
		}
		var err error
		if plain, err = decrypt(data, passphrase); err != nil {
			return File{}, err
		}
	}
	var f File
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return File{}, &UnknownFieldError{Field: strings.Trim(name, `"`)}
		}
		return File{}, ErrNotExport
	}
	if _, err := dec.Token(); err != io.EOF {
		return File{}, ErrNotExport // something follows the document
	}
	if f.Format != Format {
		return File{}, ErrNotExport
	}
	if f.Version != Version {
		return File{}, ErrVersion
	}
	if !encrypted {
		for _, t := range f.Tokens {
			if len(t.Secrets) > 0 {
				return File{}, ErrPlainSecrets
			}
		}
	}
	return f, nil
}

func decrypt(data []byte, passphrase string) ([]byte, error) {
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	id.SetMaxWorkFactor(WorkFactor)
	var src io.Reader = bytes.NewReader(data)
	if bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte(armor.Header)) {
		src = armor.NewReader(bytes.NewReader(bytes.TrimLeft(data, " \t\r\n")))
	}
	r, err := age.Decrypt(src, id)
	var noMatch *age.NoIdentityMatchError
	switch {
	case errors.As(err, &noMatch) && !slices.Contains(noMatch.StanzaTypes, "scrypt"):
		return nil, ErrNotExport // encrypted to a key, not a passphrase: not an export
	case errors.As(err, &noMatch), errors.Is(err, age.ErrIncorrectIdentity):
		return nil, ErrWrongPassphrase
	case err != nil:
		return nil, ErrDamaged
	}
	plain, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, ErrDamaged // a chunk failed authentication, or the file ends early
	}
	if len(plain) > MaxSize {
		return nil, ErrTooLarge
	}
	return plain, nil
}
