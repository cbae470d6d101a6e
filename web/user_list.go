package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// listUsers shows who can sign in, and adds users.
func (s *Server) listUsers(c echo.Context) error {
	return s.renderUsers(c, http.StatusOK, "", store.RoleDesigner, nil)
}

func (s *Server) renderUsers(c echo.Context, status int, email, role string, errs map[string]string) error {
	users, err := s.Store.ListUsers(c.Request().Context())
	if err != nil {
		return err
	}
	m := views.UsersPage{Page: s.page(c, "Users", views.NavUsers), NewEmail: email, Errors: errs, Roles: roleOptions(role)}
	for _, u := range users {
		m.Rows = append(m.Rows, views.UserRow{ID: u.ID, Email: u.Email, Role: roleLabel(u.Role), Sessions: u.Sessions,
			Active: u.Active, URL: "/users/" + strconv.FormatInt(u.ID, 10)})
	}
	return render(c, status, views.Users(m))
}

func roleLabel(role string) string {
	if role == store.RoleAdmin {
		return "Administrator"
	}
	return "App Designer"
}

func roleOptions(selected string) []views.Option {
	return []views.Option{
		{Value: store.RoleDesigner, Label: "App Designer", Selected: selected != store.RoleAdmin},
		{Value: store.RoleAdmin, Label: "Administrator", Selected: selected == store.RoleAdmin},
	}
}
