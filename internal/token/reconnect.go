package token

import (
	"crypto/sha256"
	"crypto/subtle"
	"time"
)

// MustReconnect reports whether only a person consenting again can give
// the token a working grant: the service refused it for good
// (NeedsReconnect), or the stored refresh token's lifetime has run out.
// The list, the runtime API and the renewal worker all ask this one
// question, so that none of them serves or renews a token another already
// calls dead.
func (r Renewal) MustReconnect(now time.Time) bool {
	return r.NeedsReconnect || (!r.RefreshExpiresAt.IsZero() && !now.Before(r.RefreshExpiresAt))
}

// RejectedHash is the SHA-256 of an access token an app reported refused
// by its service: kept instead of the token, so that what is stored (and
// read by every replica) is no secret.
func RejectedHash(access string) []byte {
	h := sha256.Sum256([]byte(access))
	return h[:]
}

// Rejected reports whether access is the access token an app last
// reported refused (constant time). Such a token is never handed out
// again, whatever its expiry says.
func (r Renewal) Rejected(access string) bool {
	if len(r.Rejection) == 0 || access == "" {
		return false
	}
	return subtle.ConstantTimeCompare(r.Rejection, RejectedHash(access)) == 1
}
