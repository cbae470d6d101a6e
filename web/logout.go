package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// logout ends the session on the server, not just in the browser.
func (s *Server) logout(c echo.Context) error {
	if sess := currentSession(c); sess != nil {
		sess.Options.MaxAge = -1
		if err := sess.Save(c.Request(), c.Response()); err != nil {
			return err
		}
	}
	return c.Redirect(http.StatusSeeOther, "/login?signed_out=1")
}
