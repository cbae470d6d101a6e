package web

import (
	"net/http"

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
		msg, err := s.checkTypedPassword(c, current)
		if err != nil {
			return err
		}
		if msg != "" {
			errs["current"] = msg
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
