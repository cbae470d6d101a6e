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

// changeOwnPassword lets a person choose a new password, proving the
// current one first (a browser left open does not hand the account over).
// Their other sessions end; this one stays signed in.
func (s *Server) changeOwnPassword(c echo.Context) error {
	u := currentUser(c)
	current, next := c.FormValue("current-password"), c.FormValue("new-password")
	errs := map[string]string{}
	ctx := c.Request().Context()
	if current == "" {
		errs["current"] = "Enter your current password."
	} else {
		// Guessing the current password from an open browser is throttled
		// like signing in: per account and per address.
		wait, attempt, err := s.throttle.Reserve(ctx, auth.Key("account", u.Email), auth.Key("address", c.RealIP()))
		if err != nil {
			return err
		}
		if wait > 0 {
			secs := int(math.Ceil(wait.Seconds()))
			c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
			return userError(http.StatusTooManyRequests, fmt.Sprintf("Too many wrong passwords. Wait %d seconds, then try again.", secs))
		}
		release, ok := s.signInSlot(c)
		if !ok {
			if err := attempt.Cancel(context.WithoutCancel(ctx)); err != nil {
				return err
			}
			c.Response().Header().Set("Retry-After", "1")
			return userError(http.StatusServiceUnavailable, "Many sign-ins are being checked right now. Try again in a moment.")
		}
		right := s.Hasher.Check(u.PasswordHash, current)
		release()
		if right {
			if err := attempt.Succeeded(context.WithoutCancel(ctx)); err != nil {
				return err
			}
		} else {
			errs["current"] = "This is not your current password."
		}
	}
	if msg := auth.ValidatePassword(next); msg != "" {
		errs["new"] = msg
	} else if next == current {
		errs["new"] = "Choose a password different from the current one."
	}
	if len(errs) > 0 {
		m, err := s.accountPage(c)
		if err != nil {
			return err
		}
		m.Errors = errs
		return render(c, http.StatusUnprocessableEntity, views.Account(m))
	}
	hash, err := s.Hasher.Hash(next)
	if err != nil {
		return err
	}
	keep := ""
	if sess := currentSession(c); sess != nil && sess.ID != "" {
		keep = auth.HashSessionID(sess.ID)
	}
	if err := s.Store.ChangeOwnPassword(ctx, u.ID, hash, keep); err != nil {
		return err
	}
	s.flash(c, "Password changed. Your other sessions have ended.")
	if u.MustChangePassword {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	return c.Redirect(http.StatusSeeOther, "/account")
}
