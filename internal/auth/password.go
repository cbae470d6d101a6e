// Package auth signs people in: password hashing, login throttling and the
// server-side session store behind gorilla/sessions.
package auth

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Password length limits. bcrypt reads at most 72 bytes.
const (
	MinPasswordLen   = 12
	MaxPasswordBytes = 72
)

// Hasher hashes passwords with bcrypt at Cost.
type Hasher struct{ Cost int }

// DefaultHasher is what production uses.
var DefaultHasher = Hasher{Cost: 12}

// Hash returns the bcrypt hash of password.
func (h Hasher) Hash(password string) (string, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(password), h.Cost)
	if err != nil {
		return "", fmt.Errorf("auth: hashing password: %w", err)
	}
	return string(b), nil
}

// dummies holds, per cost, the hash compared against when an account does
// not exist: made once, at the same cost as real accounts, so that the
// answer's timing does not reveal which emails have accounts.
var dummies sync.Map // cost → []byte

func (h Hasher) dummy() []byte {
	if d, ok := dummies.Load(h.Cost); ok {
		return d.([]byte)
	}
	d, err := bcrypt.GenerateFromPassword([]byte("tokendesk-no-such-user"), h.Cost)
	if err != nil {
		// Only an invalid cost gets here; Hash fails the same way for real accounts.
		d, _ = bcrypt.GenerateFromPassword([]byte("tokendesk-no-such-user"), bcrypt.DefaultCost)
	}
	actual, _ := dummies.LoadOrStore(h.Cost, d)
	return actual.([]byte)
}

// Prepare makes the dummy hash now (about as long as one sign-in), so the
// first sign-in with an unknown email is not slower than the others.
func (h Hasher) Prepare() { h.dummy() }

// against is the hash Check compares a password with.
func (h Hasher) against(hash string) []byte {
	if hash == "" {
		return h.dummy()
	}
	return []byte(hash)
}

// Check reports whether password matches hash. An empty hash (no such
// user) costs the same comparison as a real one, and never matches.
func (h Hasher) Check(hash, password string) bool {
	ok := bcrypt.CompareHashAndPassword(h.against(hash), []byte(password)) == nil
	return ok && hash != ""
}

// ValidatePassword returns a message for a password that may not be used.
func ValidatePassword(pw string) string {
	switch {
	case !utf8.ValidString(pw):
		// No browser can type such a password: the account could never sign in.
		return "The password contains bytes that are not text (invalid UTF-8). Type it again."
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return fmt.Sprintf("Choose a password of at least %d characters.", MinPasswordLen)
	case len(pw) > MaxPasswordBytes:
		return fmt.Sprintf("Choose a password of at most %d bytes.", MaxPasswordBytes)
	}
	return ""
}

// NormalizeEmail validates and tidies an email address.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("Enter an email address.")
	}
	if !utf8.ValidString(s) {
		return "", errors.New("The email address contains bytes that are not text (invalid UTF-8). Type it again.")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return "", errors.New("Enter an email address like name@example.com.")
	}
	return strings.ToLower(s), nil
}
