package web

import (
	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/views"
)

// page builds what every full page needs: the signed-in user, the CSRF
// token, any flash message and the breadcrumb trail.
func (s *Server) page(c echo.Context, title, nav string, crumbs ...views.Crumb) views.Page {
	p := views.Page{Title: title, CSRF: csrfOf(c), Nav: nav, Crumbs: crumbs}
	if u := currentUser(c); u != nil {
		p.User = &views.User{Email: u.Email, IsAdmin: u.IsAdmin()}
		p.Flash = s.popFlash(c)
	}
	return p
}
