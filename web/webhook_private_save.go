package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
)

// saveWebhooksPrivate says whether endpoints may be on private and
// loopback addresses.
func (s *Server) saveWebhooksPrivate(c echo.Context) error {
	v := "false"
	if c.FormValue("allow_private") != "" {
		v = "true"
	}
	if err := s.Store.SetSetting(c.Request().Context(), store.SettingWebhooksAllowPrivate, v, currentUser(c).Email); err != nil {
		return err
	}
	s.flash(c, "Saved.")
	return c.Redirect(http.StatusSeeOther, webhooksURL)
}
