package oauth

import (
	"context"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// KeyGrantEnds is stored with an authorization-code grant that came
// without a refresh token, from a service whose access tokens expire: when
// that access token does (RFC 3339). Nothing can renew such a grant, but
// nothing needs to before then: LinkedIn gives refresh tokens to approved
// partners only, and everyone else's 60-day access tokens are good for 60
// days. It is no field and is never handed out; renewals read it.
const KeyGrantEnds = "grant_ends_at"

// ends marks a new grant that nothing can renew with its end: the stored
// KeyGrantEnds, and RefreshExpiresAt (the grant's end, as a refresh
// token's would be), so that the token says "Reconnect within N days" as
// the end nears and needs a reconnect from then. Client credentials are
// asked again instead, and tokens that do not expire are checked with the
// who-am-I (stillWorks).
func (c client) ends(values map[string]string, g provider.Grant) provider.Grant {
	if g.RefreshToken != "" || g.ExpiresAt.IsZero() || c.preset.NoExpiry || values[KeyGrantType] == GrantClientCredentials {
		return g
	}
	setExtra(&g, KeyGrantEnds, g.ExpiresAt.UTC().Format(time.RFC3339))
	g.RefreshExpiresAt = g.ExpiresAt
	return g
}

// grantEnds reads KeyGrantEnds.
func grantEnds(values map[string]string) (time.Time, bool) {
	end, err := time.Parse(time.RFC3339, values[KeyGrantEnds])
	return end, err == nil
}

// keep is the renewal of a grant without a refresh token whose access
// token is still good: it is kept as it is, until its end, after the
// service's who-am-I (where the row or form has one) says it still works
// (a refusal there means the consent was withdrawn: reconnect).
func (c client) keep(ctx context.Context, env provider.Env, values map[string]string, end time.Time) (provider.Grant, error) {
	if c.whoAmI(values).URL != "" {
		if _, err := c.stillWorks(ctx, env, values); err != nil {
			return provider.Grant{}, err
		}
	}
	g := provider.Grant{AccessToken: values[KeyAccessToken], ExpiresAt: end, RefreshExpiresAt: end}
	setExtra(&g, KeyGrantEnds, values[KeyGrantEnds])
	return g, nil
}
