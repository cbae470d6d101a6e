package engine

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/token"
)

// tokenPagePath is where a person fixes t in the console: its page.
func tokenPagePath(t token.Token) string {
	if t.AppID != 0 {
		return "/apps/" + strconv.FormatInt(t.AppID, 10) + "/tokens/" + strconv.FormatInt(t.ID, 10)
	}
	return "/tokens/" + strconv.FormatInt(t.ID, 10)
}

// conflict is a 409 whose code is the one token.Statuses declares for
// status, so that the API and the console name a state alike.
func conflict(status, msg string) *Refusal {
	return &Refusal{Status: http.StatusConflict, Code: token.StatusCode(status), Message: msg}
}

// refusedFor is the refusal of a token that needs reconnecting: the
// service refused its grant, so its access token is taken to be dead.
func refusedFor(t token.Token, now time.Time) error {
	return conflict(token.StatusNeedsReconnect, fmt.Sprintf("“%s” needs reconnecting: its service no longer accepts the grant, so tokendesk cannot renew it "+
		"and does not hand out its last access token. Someone who manages the token must press Reconnect on its page in tokendesk (%s).", t.Name, tokenPagePath(t)))
}

// needsSecret is the refusal of a token imported without a secret it
// needs: nothing can obtain an access token for it, so the service is not
// asked.
func needsSecret(t token.Token) error {
	return conflict(token.StatusNeedsSecret, fmt.Sprintf("“%s” needs a secret: it was imported without one, so tokendesk cannot obtain an access token for it. "+
		"Enter the secret on its page in tokendesk (%s).", t.Name, tokenPagePath(t)))
}

// cannotServe says why t has no access token to hand out and will not get
// one unless a person acts: never obtained, expired with renewals
// Disabled, or expired with nothing here to renew it.
func cannotServe(t token.Token, p provider.Provider, values map[string]string, now time.Time) error {
	page := tokenPagePath(t)
	switch {
	case t.NeedsSecret:
		return needsSecret(t)
	case values[p.Tokens.Access] == "" && values[token.KeyAwaiting] != "":
		return conflict(token.StatusNotConnected, fmt.Sprintf("“%s” is not connected yet: its key pair is waiting to be registered at the service, "+
			"so tokendesk does not ask for an access token. Register the key shown on its page in tokendesk (%s).", t.Name, page))
	case values[p.Tokens.Access] == "":
		return conflict(token.StatusNotConnected, fmt.Sprintf("“%s” is not connected yet: it has no access token yet. Get one on its page in tokendesk (%s).", t.Name, page))
	case p.Renew != nil && t.Rate == token.Disabled:
		return conflict(token.StatusExpiredDisabled, fmt.Sprintf("The access token of “%s” expired at %s and its Renewal Rate is Disabled, so tokendesk does not renew it. "+
			"Choose a Renewal Rate (or get a new token) on its page in tokendesk: %s.", t.Name, t.Expiry().UTC().Format(time.RFC3339), page))
	case p.Renew == nil:
		return &Refusal{Status: http.StatusConflict, Code: "expired", Message: fmt.Sprintf("The access token of “%s” expired at %s and its service gives tokendesk no way to renew it. "+
			"Enter a new one on its page in tokendesk (%s).", t.Name, t.Expiry().UTC().Format(time.RFC3339), page)}
	}
	return &Refusal{Status: http.StatusConflict, Code: "expired", Message: fmt.Sprintf("The access token of “%s” expired at %s and has not been renewed yet.", t.Name, t.Expiry().UTC().Format(time.RFC3339))}
}
