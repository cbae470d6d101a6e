package engine

import (
	"fmt"
	"net/http"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/token"
)

// tooSoon is the 503 for a token renewed less than refreshGap ago whose
// new access token was reported refused too: it is not renewed again
// before until, so that an app reporting (and fetching) in a loop cannot
// make tokendesk storm the service.
func tooSoon(t token.Token, until, now time.Time) error {
	return unavailable("refresh_too_soon", until.Sub(now), fmt.Sprintf(
		"“%s” was renewed less than %d seconds ago and the service refuses the new token too; tokendesk does not renew it again before %s. "+
			"Check what the service says besides the refusal; retry after the time in Retry-After.", t.Name, int(refreshGap.Seconds()), until.UTC().Format(time.RFC3339)))
}

// reportedRefused says why the access token an app reported refused is
// neither handed out nor replaced (review finding 1): the answer a report
// of it got, for every fetch after it.
func reportedRefused(t token.Token, p provider.Provider, now time.Time) error {
	page := tokenPagePath(t)
	switch {
	case t.NeedsSecret:
		return needsSecret(t)
	case p.Renew == nil:
		return &Refusal{Status: http.StatusConflict, Code: "cannot_renew", Message: fmt.Sprintf(
			"An app reported the access token of “%s” refused by its service, and tokendesk cannot renew it: its service gives no way to. "+
				"Enter a new access token on its page in tokendesk (%s).", t.Name, page)}
	case t.Rate == token.Disabled:
		return conflict(token.StatusExpiredDisabled, fmt.Sprintf(
			"An app reported the access token of “%s” refused by its service, and its Renewal Rate is Disabled, so tokendesk does not renew it. "+
				"Choose a Renewal Rate (or get a new token) on its page in tokendesk: %s.", t.Name, page))
	}
	return unavailable("renewal_failed", busyRetry, fmt.Sprintf(
		"An app reported the access token of “%s” refused by its service and no new one could be obtained yet; retry after the time in Retry-After.", t.Name))
}
