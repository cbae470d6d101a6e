package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// signOutUser ends every session of a user, at once.
func (s *Server) signOutUser(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return userError(http.StatusNotFound, "No such user.")
	}
	u, err := s.Store.UserByID(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return userError(http.StatusNotFound, "No such user.")
	}
	if err != nil {
		return err
	}
	n, err := s.Store.DeleteUserSessions(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	s.Logger.Info("signed out everywhere", "user", u.Email, "by", currentUser(c).Email, "sessions", n)
	if u.ID == currentUser(c).ID {
		return c.Redirect(http.StatusSeeOther, "/login?signed_out=1")
	}
	s.flash(c, fmt.Sprintf("Signed %s out of %s.", u.Email, views.Plural(int(n), "session", "sessions")))
	return c.Redirect(http.StatusSeeOther, "/users")
}
