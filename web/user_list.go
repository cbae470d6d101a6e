package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/views"
)

// listUsers shows who can sign in and how many sessions each has.
func (s *Server) listUsers(c echo.Context) error {
	users, err := s.Store.ListUsers(c.Request().Context())
	if err != nil {
		return err
	}
	me := currentUser(c)
	m := views.UsersPage{Page: s.page(c, "Users", views.NavUsers)}
	for _, u := range users {
		role := "App Designer"
		if u.IsAdmin() {
			role = "Administrator"
		}
		m.Rows = append(m.Rows, views.UserRow{ID: u.ID, Email: u.Email, Role: role, Sessions: u.Sessions, IsSelf: u.ID == me.ID})
	}
	return render(c, http.StatusOK, views.Users(m))
}
