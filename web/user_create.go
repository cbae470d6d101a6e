package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/auth"
	"github.com/tokendesk/tokendesk/internal/store"
)

// createUser adds a user with a first password chosen by the administrator.
func (s *Server) createUser(c echo.Context) error {
	errs := map[string]string{}
	raw := c.FormValue("new-email")
	email, err := auth.NormalizeEmail(raw)
	if err != nil {
		errs["email"] = err.Error()
	}
	password := c.FormValue("new-password")
	if msg := auth.ValidatePassword(password); msg != "" {
		errs["password"] = msg
	}
	role := c.FormValue("role")
	if role != store.RoleAdmin {
		role = store.RoleDesigner
	}
	if len(errs) == 0 {
		hash, err := s.Hasher.Hash(password)
		if err != nil {
			return err
		}
		// The administrator typed the password: the person chooses their
		// own at first sign-in (issue 23).
		u, err := s.Store.CreateUserMustChange(c.Request().Context(), email, hash, role)
		switch {
		case errors.Is(err, store.ErrDuplicateUser):
			errs["email"] = "A user with this email already exists."
		case err != nil:
			return err
		default:
			if err := s.Store.AddAudit(c.Request().Context(), store.Audit{At: s.Now(), Actor: currentUser(c).Email, Action: "user.create", Subject: u.Email, Detail: "role " + role}); err != nil {
				return err
			}
			s.flash(c, fmt.Sprintf("Added %s as %s.", u.Email, roleLabel(role)))
			return c.Redirect(http.StatusSeeOther, "/users")
		}
	}
	return s.renderUsers(c, http.StatusUnprocessableEntity, raw, role, errs)
}
