package web

import (
	"errors"
	"fmt"
	"net/http"

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
	err = s.Renewer.RenewNow(store.WithActor(ctx, currentUser(c).Email), t.ID)
	var failure *renewal.Failure
	switch {
	case err == nil:
		fresh, ferr := s.Store.TokenByID(c.Request().Context(), t.ID)
		if ferr != nil {
			return ferr
		}
		s.flash(c, fmt.Sprintf("Renewed “%s”. The new access token expires %s.", t.Name, views.When(fresh.ExpiresAt)))
	case errors.Is(err, store.ErrLeased):
		s.flash(c, fmt.Sprintf("A renewal of “%s” is already under way. Reload this page in a moment to see its outcome.", t.Name))
	case errors.As(err, &failure):
		msg := fmt.Sprintf("Renewing “%s” failed: %s", t.Name, failure.Message)
		if _, had := t.Stored[accessTokenField]; had {
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
