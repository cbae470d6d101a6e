// Package auth signs people in: password hashing, login throttling and the
// server-side session store behind gorilla/sessions.
package auth

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
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

// dummyHash is compared against when the account does not exist, so that
// response time does not reveal which emails have accounts.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("tokendesk-no-such-user"), bcrypt.MinCost)

// Check reports whether password matches hash. An empty hash (no such
// user) still costs a comparison.
func Check(hash, password string) bool {
	if hash == "" {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// ValidatePassword returns a message for a password that may not be used.
func ValidatePassword(pw string) string {
	switch {
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
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return "", errors.New("Enter an email address like name@example.com.")
	}
	return strings.ToLower(s), nil
}
