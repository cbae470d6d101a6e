// Package transfer is the file format of Import / Export: token
// definitions as versioned JSON, optionally with their secrets, in which
// case the whole file is encrypted under a passphrase with age (scrypt).
// It knows nothing of the database or HTTP: it turns tokens into bytes
// and bytes back into tokens, refusing anything it cannot vouch for.
package transfer

import (
	"bufio"
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

// Decode reads a file held in memory; see DecodeReader.
func Decode(data []byte, passphrase string) (File, error) {
	return DecodeReader(bytes.NewReader(data), passphrase)
}

// DecodeReader reads a file, decrypting it with passphrase if it is
// encrypted. It returns one of the Err* reasons (or an *UnknownFieldError)
// for a file it refuses; the whole file is read and checked before anything
// is returned, so a truncated or tampered file yields nothing.
//
// It reads as it decodes, token by token (the decryption streamed too), and
// stops at the first byte past MaxSize or the first token past MaxTokens: a
// small file of many empty tokens ("{},{},…") would otherwise cost hundreds
// of times its size in memory before any limit applied.
func DecodeReader(r io.Reader, passphrase string) (File, error) {
	br := bufio.NewReader(&capped{r: r, left: MaxSize, err: ErrTooLarge})
	for {
		b, err := br.ReadByte()
		if err == io.EOF {
			return File{}, ErrEmpty
		}
		if err != nil {
			return File{}, readError(err)
		}
		if !bytes.ContainsRune([]byte(" \t\r\n"), rune(b)) {
			br.UnreadByte()
			break
		}
	}
	head, _ := br.Peek(len(armor.Header))
	var src io.Reader = br
	encrypted := Encrypted(head)
	if encrypted {
		if passphrase == "" {
			return File{}, ErrNeedsPassphrase
		}
		plain, err := decrypt(br, bytes.HasPrefix(head, []byte(armor.Header)), passphrase)
		if err != nil {
			return File{}, err
		}
		src = plain
	}
	f, err := decodeJSON(src)
	if err != nil {
		return File{}, err
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

// MaxTokens is the most tokens a file may hold: an import takes no more
// (one transaction, one preview page), so reading stops there.
const MaxTokens = 1000

// ErrTooManyTokens: the file holds more than MaxTokens tokens.
var ErrTooManyTokens = fmt.Errorf("transfer: more than %d tokens", MaxTokens)

// decodeJSON reads the document member by member, and the tokens one at
// a time, never holding more than MaxTokens of them.
func decodeJSON(r io.Reader) (File, error) {
	var f File
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := delim(dec, '{'); err != nil {
		return f, err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return f, jsonError(err)
		}
		key, _ := t.(string)
		var v any
		switch key {
		case "format":
			v = &f.Format
		case "version":
			v = &f.Version
		case "exported_at":
			v = &f.ExportedAt
		case "scope":
			v = &f.Scope
		case "secrets":
			v = &f.Secrets
		case "tokens":
			if err := decodeTokens(dec, &f); err != nil {
				return f, err
			}
			continue
		default:
			return f, &UnknownFieldError{Field: key}
		}
		if err := dec.Decode(v); err != nil {
			return f, jsonError(err)
		}
	}
	if err := delim(dec, '}'); err != nil {
		return f, err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return f, jsonError(err)
		}
		return f, ErrNotExport // something follows the document
	}
	return f, nil
}

func decodeTokens(dec *json.Decoder, f *File) error {
	t, err := dec.Token()
	if err != nil {
		return jsonError(err)
	}
	if t == nil {
		return nil // "tokens": null, as an empty list
	}
	if d, ok := t.(json.Delim); !ok || d != '[' {
		return ErrNotExport
	}
	for dec.More() {
		if len(f.Tokens) >= MaxTokens {
			return ErrTooManyTokens
		}
		var tok Token
		if err := dec.Decode(&tok); err != nil {
			return jsonError(err)
		}
		f.Tokens = append(f.Tokens, tok)
	}
	return delim(dec, ']')
}

func delim(dec *json.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return jsonError(err)
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return ErrNotExport
	}
	return nil
}

// jsonError is the reason for a decoding error: the reader's own (too
// large, damaged), an unknown field, or else not an export.
func jsonError(err error) error {
	if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrDamaged) {
		return err
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &UnknownFieldError{Field: strings.Trim(name, `"`)}
	}
	return ErrNotExport
}

func readError(err error) error {
	if errors.Is(err, ErrTooLarge) {
		return err
	}
	return ErrNotExport
}

// capped reads at most left bytes of r, then fails with err.
type capped struct {
	r    io.Reader
	left int64
	err  error
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One byte more tells a file of exactly the limit from a longer one.
		var one [1]byte
		if n, _ := io.ReadFull(c.r, one[:]); n == 0 {
			return 0, io.EOF
		}
		return 0, c.err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// damaged turns any failure of the decrypting reader (a chunk that fails
// authentication, a file cut short) into ErrDamaged.
type damaged struct{ r io.Reader }

func (d damaged) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF && !errors.Is(err, ErrTooLarge) {
		err = ErrDamaged
	}
	return n, err
}

func decrypt(src io.Reader, armored bool, passphrase string) (io.Reader, error) {
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	id.SetMaxWorkFactor(WorkFactor)
	if armored {
		src = armor.NewReader(src)
	}
	r, err := age.Decrypt(src, id)
	var noMatch *age.NoIdentityMatchError
	switch {
	case errors.Is(err, ErrTooLarge):
		return nil, ErrTooLarge
	case errors.As(err, &noMatch) && !slices.Contains(noMatch.StanzaTypes, "scrypt"):
		return nil, ErrNotExport // encrypted to a key, not a passphrase: not an export
	case errors.As(err, &noMatch), errors.Is(err, age.ErrIncorrectIdentity):
		return nil, ErrWrongPassphrase
	case err != nil:
		return nil, ErrDamaged
	}
	return damaged{&capped{r: r, left: MaxSize, err: ErrTooLarge}}, nil
}
