package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

const usersPerPage = 100

// listUsers shows who can sign in, and adds users.
func (s *Server) listUsers(c echo.Context) error {
	return s.renderUsers(c, http.StatusOK, "", store.RoleDesigner, nil)
}

func (s *Server) renderUsers(c echo.Context, status int, email, role string, errs map[string]string) error {
	after, before, err := readCursor(c, func(email string) bool { return email != "" })
	if err != nil {
		return err
	}
	var a, b string
	if after != nil {
		a = *after
	}
	if before != nil {
		b = *before
	}
	users, pg, err := s.Store.UsersPage(c.Request().Context(), usersPerPage, a, b)
	if err != nil {
		return err
	}
	m := views.UsersPage{Page: s.page(c, "Users", views.NavUsers), NewEmail: email, Errors: errs, Roles: roleOptions(role)}
	for _, u := range users {
		m.Rows = append(m.Rows, views.UserRow{ID: u.ID, Email: u.Email, Role: roleLabel(u.Role), Sessions: u.Sessions,
			Active: u.Active, URL: "/users/" + strconv.FormatInt(u.ID, 10)})
	}
	if pg.HasPrev {
		m.PrevURL = "/users?before=" + encodeCursor(pg.First)
	}
	if pg.HasNext {
		m.NextURL = "/users?after=" + encodeCursor(pg.Last)
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
