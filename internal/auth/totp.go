package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters: RFC 6238's defaults, which every authenticator app
// understands (30-second steps, 6 digits, SHA-1).
const (
	TOTPPeriod = 30
	totpDigits = otp.DigitsSix
)

// TOTPEnrolment is a new TOTP secret and the ways to put it in an app.
type TOTPEnrolment struct {
	Secret []byte // raw secret, for sealing
	// Base32 is the secret as typed by hand; URI the otpauth:// link.
	Base32, URI string
	// QR is the otpauth:// link as a PNG data URL, for the page's <img>.
	QR string
}

// NewTOTP makes a secret for account (the person's email) under issuer.
func NewTOTP(issuer, account string) (TOTPEnrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: TOTPPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("auth: totp: %w", err)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(key.Secret())
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("auth: totp: %w", err)
	}
	return enrolment(key, raw)
}

// TOTPEnrolmentFor shows an existing secret again (its confirmation
// failed): the same QR code and key, until it is confirmed.
func TOTPEnrolmentFor(issuer, account string, raw []byte) (TOTPEnrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: TOTPPeriod, Digits: totpDigits,
		Algorithm: otp.AlgorithmSHA1, Secret: raw})
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("auth: totp: %w", err)
	}
	return enrolment(key, raw)
}

func enrolment(key *otp.Key, raw []byte) (TOTPEnrolment, error) {
	img, err := key.Image(200, 200)
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("auth: totp: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return TOTPEnrolment{}, fmt.Errorf("auth: totp: %w", err)
	}
	return TOTPEnrolment{Secret: raw, Base32: key.Secret(), URI: key.URL(),
		QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// Base32Secret spells a raw secret as authenticator apps take it.
func Base32Secret(raw []byte) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw)
}

// GroupsOf4 spaces a secret in groups of four, for typing by hand.
func GroupsOf4(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CheckTOTP reports whether code is the secret's code at now, allowing one
// step either side for clocks that drift, and returns the step it matched:
// the caller refuses a step used before, so a code works once.
func CheckTOTP(raw []byte, code string, now time.Time) (step int64, ok bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != totpDigits.Length() {
		return 0, false
	}
	secret := Base32Secret(raw)
	current := now.Unix() / TOTPPeriod
	for _, s := range []int64{current - 1, current, current + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*TOTPPeriod, 0), totp.ValidateOpts{Period: TOTPPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// TOTPCode is the code of raw at t (for tests and the demo).
func TOTPCode(raw []byte, t time.Time) string {
	c, _ := totp.GenerateCodeCustom(Base32Secret(raw), t, totp.ValidateOpts{Period: TOTPPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
	return c
}

// RecoveryCodeCount is how many recovery codes a person gets at a time.
const RecoveryCodeCount = 10

// NewRecoveryCodes makes n codes like "7KQ4M-XW2PD" (50 bits each, in
// base32, which has no 0, 1, 8 or 9 to mistake for letters) and their
// hashes, which are all that is stored.
func NewRecoveryCodes(n int) (codes []string, hashes [][]byte) {
	for range n {
		t := rand.Text()
		code := t[:5] + "-" + t[5:10]
		codes = append(codes, code)
		hashes = append(hashes, HashRecoveryCode(code))
	}
	return codes, hashes
}

// LooksLikeRecoveryCode tells a recovery code from a six-digit TOTP code.
func LooksLikeRecoveryCode(s string) bool {
	return len(normalizeRecovery(s)) == 10
}

func normalizeRecovery(s string) string {
	return strings.NewReplacer(" ", "", "-", "").Replace(strings.ToUpper(strings.TrimSpace(s)))
}

// HashRecoveryCode is how a recovery code is stored and looked up, typed
// with or without its dash, in either case.
func HashRecoveryCode(code string) []byte {
	sum := sha256.Sum256([]byte("tokendesk-recovery:" + normalizeRecovery(code)))
	return sum[:]
}
