package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// listApps is App Builder: every app for administrators, their own for
// designers (one name for both, as in the navigation and breadcrumbs).
func (s *Server) listApps(c echo.Context) error {
	return s.renderApps(c, http.StatusOK, nil)
}

// renderApps shows the list, and for administrators the form to add an
// app (with in's entries and errors after a rejected submission).
func (s *Server) renderApps(c echo.Context, status int, in *appInput) error {
	u := currentUser(c)
	designer := u.ID
	heading := "App Builder"
	if u.IsAdmin() {
		designer = 0
	}
	apps, err := s.Store.ListApps(c.Request().Context(), designer)
	if err != nil {
		return err
	}
	m := views.AppsPage{Page: s.page(c, heading, views.NavApps), Heading: heading, CanAdd: u.IsAdmin()}
	for _, a := range apps {
		m.Rows = append(m.Rows, views.AppRow{ID: a.ID, Name: a.Name, Kind: kindLabel(a.Kind), Tokens: a.Tokens, URL: appURL(a.ID)})
	}
	if m.CanAdd {
		var chosen map[int64]bool
		if in != nil {
			m.NewName, m.NewKind, m.Errors, chosen = in.name, in.kind, in.errs, in.chosen
		}
		if m.Users, err = s.designerOptions(c, chosen); err != nil {
			return err
		}
	}
	return render(c, status, views.Apps(m))
}

func kindLabel(kind string) string {
	if kind == store.KindForm {
		return "Form-based"
	}
	return "Process-based"
}

// designerOptions offers the app designers as checkboxes.
func (s *Server) designerOptions(c echo.Context, chosen map[int64]bool) ([]views.Option, error) {
	users, err := s.Store.ActiveDesigners(c.Request().Context())
	if err != nil {
		return nil, err
	}
	var out []views.Option
	for _, u := range users {
		out = append(out, views.Option{Value: strconv.FormatInt(u.ID, 10), Label: u.Email, Selected: chosen[u.ID]})
	}
	return out, nil
}
