package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
)

// saveProvidersPrivate says whether calls to typed provider URLs (an OAuth
// 2.0 Token URL) may reach private and loopback addresses.
func (s *Server) saveProvidersPrivate(c echo.Context) error {
	v := "false"
	if c.FormValue("allow_private") != "" {
		v = "true"
	}
	if err := s.Store.SetSetting(c.Request().Context(), store.SettingProvidersAllowPrivate, v, currentUser(c).Email); err != nil {
		return err
	}
	s.flash(c, "Saved.")
	return c.Redirect(http.StatusSeeOther, "/settings")
}
