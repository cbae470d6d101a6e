package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/renewal"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// renewToken is "Renew now": renew at once, then show the token's page
// with the outcome.
func (s *Server) renewToken(c echo.Context) error {
	t, p, err := s.tokenParam(c)
	if err != nil {
		return err
	}
	if p.Renew == nil || s.Renewer == nil {
		return userError(http.StatusBadRequest, "This kind of token has nothing to renew: "+p.Name+" signs a new token for every call.")
	}
	ctx, cancel := withTimeout(c, actionTimeout)
	defer cancel()
	// The audit log names the person who pressed the button.
	err = s.Renewer.RenewNow(store.ByPerson(store.WithActor(ctx, currentUser(c).Email)), t.ID)
	var failure *renewal.Failure
	switch {
	case err == nil:
		fresh, ferr := s.Store.TokenByID(c.Request().Context(), t.ID)
		if ferr != nil {
			return ferr
		}
		s.flash(c, fmt.Sprintf("Renewed “%s”. The new access token expires %s.", t.Name, views.When(fresh.ExpiresAt)))
	case errors.Is(err, store.ErrLeased):
		msg, lerr := s.leasedMessage(c, t.ID, t.Name)
		if lerr != nil {
			return lerr
		}
		// Not a failure, but not done either: nothing was renewed.
		s.flashWarn(c, msg)
	case errors.Is(err, store.ErrStale), errors.Is(err, store.ErrLeaseLost):
		// Someone saved the token while it was being renewed (again and
		// again), or another process took the renewal over: their outcome
		// stands, nothing of this attempt was saved.
		s.flashWarn(c, fmt.Sprintf("“%s” was changed while Renew now was running, so this renewal was not saved. The page shows the token as it is now; press Renew now again if it still needs renewing.", t.Name))
	case errors.Is(err, renewal.ErrNeedsReconnect):
		s.flashError(c, fmt.Sprintf("“%s” needs reconnecting: its service no longer accepts the grant, so Renew now cannot renew it. Press Reconnect to sign in and consent again.", t.Name))
	case errors.As(err, &failure):
		msg := fmt.Sprintf("Renewing “%s” failed: %s", t.Name, failure.Message)
		if _, had := t.Stored[p.Tokens.Access]; had {
			msg += " The previous access token stays in place."
		} else {
			msg += " The token has no access token yet."
		}
		s.flashError(c, msg)
	case errors.Is(err, store.ErrNotFound):
		return userError(http.StatusNotFound, "This access token does not exist. It may have been removed.")
	default:
		return err
	}
	return c.Redirect(http.StatusSeeOther, scopeOf(c).tokenURL(t.ID))
}

// wakeRenewer lets the worker see a token that became due by an edit.
func (s *Server) wakeRenewer() {
	if s.Renewer != nil {
		s.Renewer.Wake()
	}
}

// leasedMessage says when a renewal held by someone else frees the token:
// a process that stopped mid-renewal leaves its lease until it expires.
func (s *Server) leasedMessage(c echo.Context, id int64, name string) (string, error) {
	until, err := s.Store.LeaseUntil(c.Request().Context(), id)
	if err != nil {
		return "", err
	}
	left := until.Sub(s.Now())
	if until.IsZero() || left <= 0 {
		return fmt.Sprintf("A renewal of “%s” was just finishing. Press Renew now again if it still needs renewing.", name), nil
	}
	return fmt.Sprintf("A renewal of “%s” is already under way (here or in another tokendesk process). Reload this page in a moment to see its outcome. If that process stopped, the token is free again at %s (in %s); Renew now works then.",
		name, until.UTC().Format("15:04:05 UTC"), roughly(left)), nil
}

// roughly says a short duration in words, rounded up.
func roughly(d time.Duration) string {
	secs := int(math.Ceil(d.Seconds()))
	switch {
	case secs <= 1:
		return "1 second"
	case secs < 120:
		return fmt.Sprintf("%d seconds", secs)
	}
	return fmt.Sprintf("%d minutes", int(math.Ceil(float64(secs)/60)))
}
