package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/views"
)

func (s *Server) showLogin(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	if s.Setup.Active() {
		return c.Redirect(http.StatusSeeOther, "/setup")
	}
	m := views.LoginPage{Page: s.page(c, "Sign in", ""), Next: c.QueryParam("next")}
	if c.QueryParam("signed_out") != "" {
		m.Flash = "You have signed out."
	}
	return render(c, http.StatusOK, views.Login(m))
}

// safeNext keeps post-login redirects on this site.
func safeNext(next string) string {
	if len(next) > 1 && next[0] == '/' && next[1] != '/' && next[1] != '\\' {
		return next
	}
	return "/" // home sends each role to its first screen
}
