package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/auth"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

func (s *Server) userParam(c echo.Context) (store.UserListing, error) {
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	u, err := s.Store.UserListingByID(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return u, userError(http.StatusNotFound, "No such user.")
	}
	return u, err
}

func (s *Server) editUser(c echo.Context) error {
	u, err := s.userParam(c)
	if err != nil {
		return err
	}
	return s.renderUser(c, http.StatusOK, u, nil)
}

func (s *Server) renderUser(c echo.Context, status int, u store.UserListing, errs map[string]string) error {
	base := "/users/" + strconv.FormatInt(u.ID, 10)
	m := views.UserEditPage{
		Page: s.page(c, u.Email, views.NavUsers, views.Crumb{Label: "Users", URL: "/users"}, views.Crumb{Label: u.Email}),
		ID:   u.ID, Email: u.Email, Roles: roleOptions(u.Role), Active: u.Active, Errors: errs, Sessions: u.Sessions,
		PostURL: base, PasswordURL: base + "/password", SignOutURL: base + "/sign-out",
		SessionsURL:     "/sessions?user=" + strconv.FormatInt(u.ID, 10),
		FactorsResetURL: base + "/factors/reset",
	}
	return render(c, status, views.UserEdit(m))
}

// updateUser changes a role or deactivates a user; the last active
// administrator cannot lock everyone out.
func (s *Server) updateUser(c echo.Context) error {
	u, err := s.userParam(c)
	if err != nil {
		return err
	}
	role := c.FormValue("role")
	if role != store.RoleAdmin {
		role = store.RoleDesigner
	}
	active := c.FormValue("active") != ""
	// The store refuses to leave no active administrator, counting in the
	// same transaction as the change (two administrators demoting each
	// other at once both saw the other when it was counted here first).
	switch err := s.Store.UpdateUser(c.Request().Context(), u.ID, role, active, currentUser(c).Email); {
	case errors.Is(err, store.ErrLastAdmin):
		return s.renderUser(c, http.StatusUnprocessableEntity, u, map[string]string{"form": "This is the last active administrator: make someone else an administrator first."})
	case errors.Is(err, store.ErrNotFound):
		return userError(http.StatusNotFound, "No such user.")
	case err != nil:
		return err
	}
	if u.ID == currentUser(c).ID && !active {
		return c.Redirect(http.StatusSeeOther, "/login?signed_out=1")
	}
	s.flash(c, fmt.Sprintf("Saved %s.", u.Email))
	return c.Redirect(http.StatusSeeOther, "/users")
}

// resetPassword sets a new password and ends the user's sessions.
func (s *Server) resetPassword(c echo.Context) error {
	u, err := s.userParam(c)
	if err != nil {
		return err
	}
	password := c.FormValue("password")
	if msg := auth.ValidatePassword(password); msg != "" {
		return s.renderUser(c, http.StatusUnprocessableEntity, u, map[string]string{"password": msg})
	}
	hash, err := s.Hasher.Hash(password)
	if err != nil {
		return err
	}
	if err := s.Store.SetPassword(c.Request().Context(), u.ID, hash, currentUser(c).Email); err != nil {
		return err
	}
	if u.ID == currentUser(c).ID {
		return c.Redirect(http.StatusSeeOther, "/login?signed_out=1")
	}
	s.flash(c, fmt.Sprintf("Set a new password for %s and signed them out everywhere.", u.Email))
	return c.Redirect(http.StatusSeeOther, "/users")
}
