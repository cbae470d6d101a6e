package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/views"
)

// showSetup offers to create the first administrator while no user exists.
func (s *Server) showSetup(c echo.Context) error {
	if !s.Setup.Active() {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	return render(c, http.StatusOK, views.Setup(views.SetupPage{Page: s.page(c, "Set up", "")}))
}
