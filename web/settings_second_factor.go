package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// saveRequireFactor turns "Require a second factor for administrators" on
// or off (audited as a setting). Administrators without a factor are sent
// to enrol at their next request (accountGate).
func (s *Server) saveRequireFactor(c echo.Context) error {
	v, msg := "false", "Administrators no longer need a second factor."
	if c.FormValue("require_admin_factor") != "" {
		v, msg = "true", "Administrators now need a second factor."
	}
	if err := s.Store.SetSetting(c.Request().Context(), settingRequireFactor, v, currentUser(c).Email); err != nil {
		return err
	}
	s.flash(c, msg)
	return c.Redirect(http.StatusSeeOther, "/settings")
}
