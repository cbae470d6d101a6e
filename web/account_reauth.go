package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/auth"
	"github.com/tokendesk/tokendesk/views"
)

// proveIdentity checks the current password typed in field with a factor
// change (a browser left open must not be enough to add an intruder's
// authenticator, or remove the owner's),
// throttled like signing in (per account and per address). It returns the
// message for the field ("" when right). A person with no password (made
// by single sign-on) proved who they are at the identity provider.
func (s *Server) proveIdentity(c echo.Context, field string) (string, error) {
	u := currentUser(c)
	if u.PasswordHash == "" {
		return "", nil
	}
	typed := c.FormValue(field)
	if typed == "" {
		return "Enter your current password: changing second factors needs it.", nil
	}
	return s.checkTypedPassword(c, typed)
}

// checkTypedPassword compares a typed password under the sign-in throttle.
func (s *Server) checkTypedPassword(c echo.Context, typed string) (string, error) {
	u := currentUser(c)
	ctx := c.Request().Context()
	wait, attempt, err := s.throttle.Reserve(ctx, auth.Key("account", u.Email), auth.Key("address", c.RealIP()))
	if err != nil {
		return "", err
	}
	if wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
		return "", userError(http.StatusTooManyRequests, fmt.Sprintf("Too many wrong passwords. Wait %d seconds, then try again.", secs))
	}
	release, ok := s.signInSlot(c)
	if !ok {
		if err := attempt.Cancel(context.WithoutCancel(ctx)); err != nil {
			return "", err
		}
		c.Response().Header().Set("Retry-After", "1")
		return "", userError(http.StatusServiceUnavailable, "Many sign-ins are being checked right now. Try again in a moment.")
	}
	right := s.Hasher.Check(u.PasswordHash, typed)
	release()
	if !right {
		return "This is not your current password.", nil
	}
	return "", attempt.Succeeded(context.WithoutCancel(ctx))
}

// refuseFactorChange shows Your account again with the password's message
// under field, changing nothing.
func (s *Server) refuseFactorChange(c echo.Context, field, msg string, err error) error {
	if err != nil {
		return err
	}
	m, err := s.accountPage(c)
	if err != nil {
		return err
	}
	m.Errors[field] = msg
	return render(c, http.StatusUnprocessableEntity, views.Account(m))
}
