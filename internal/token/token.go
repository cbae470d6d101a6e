// Package token holds the rules of access tokens: what a valid one looks
// like, its renewal rates, and what changed between two versions.
package token

import (
	"strings"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Token is an access token as the console shows it. Credential values are
// deliberately absent: they are read only where they are used.
type Token struct {
	ID          int64
	AppID       int64 // 0: a global token
	Provider    string
	Name        string
	Description string
	Encrypted   bool
	Rate        string
	Version     int64
	CreatedAt   time.Time
	CreatedBy   string
	UpdatedAt   time.Time
	UpdatedBy   string
	// Stored says which credential fields hold a value, and who last set it.
	Stored map[string]Stamp
	Renewal
}

// Stamp records who changed something and when.
type Stamp struct {
	At time.Time
	By string
}

// Renewal is the state the renewal worker keeps.
type Renewal struct {
	ExpiresAt     time.Time
	LastRenewedAt time.Time
	NextRenewalAt time.Time
	Failures      int
	LastError     string
	LastErrorAt   time.Time
	// NeedsReconnect: the service refused the grant for good (invalid_grant
	// on refresh); nothing renews the token until a person consents again.
	NeedsReconnect bool
	// RefreshExpiresAt is when the stored refresh token runs out (zero:
	// unknown or never).
	RefreshExpiresAt time.Time
	// AttentionSince: renewals failed for so long that automatic renewal
	// stopped ("Needs attention") until a person edits or renews it.
	AttentionSince time.Time
	// NeedsSecret: imported without a secret it needs (token.Change).
	NeedsSecret bool
	// Rejection is the RejectedHash of the access token an app last
	// reported refused (nil: none was).
	Rejection []byte
}

// NameKey is what makes two names the same name: case is ignored in any
// script, compatibility look-alikes fold together (NFKC: "Ｌａｂ" and "Lab",
// a no-break space and a space), and runs of white space count as one
// space, leading and trailing ones as none. Uniqueness and look-ups by name
// (the runtime API, search) compare keys, so "  Lab   Feed " is "Lab Feed".
func NameKey(name string) string {
	folded := norm.NFKC.String(cases.Fold().String(norm.NFKC.String(name)))
	return strings.Join(strings.Fields(folded), " ")
}

// NameKeyVersion changes whenever NameKey does, so that stored keys are
// recomputed once (see store.Open).
const NameKeyVersion = "2"

// RateOptions turns rate keys into select options, in the documented order.
func RateOptions(keys ...string) []provider.Option {
	out := make([]provider.Option, 0, len(keys))
	for _, k := range keys {
		if r, ok := RateByKey(k); ok {
			out = append(out, provider.Option{Value: r.Key, Label: r.Label})
		}
	}
	return out
}

// RenewalRateField is the documented Renewal Rate field offering keys.
func RenewalRateField(def string, keys ...string) provider.Field {
	return provider.Field{
		Key: provider.KeyRenewalRate, Label: "Renewal Rate", Control: provider.Select,
		Options: RateOptions(keys...), Default: def,
		Help: "Specifies how frequently to renew your application's access token.",
	}
}
