package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/views"
)

func (s *Server) showSettings(c echo.Context) error {
	allowed, err := s.deletingAllowed(c)
	if err != nil {
		return err
	}
	keys, err := s.keyringPanel(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Settings(views.SettingsPage{Page: s.page(c, "Settings", views.NavSettings), AllowDelete: allowed, Keyring: keys}))
}

func (s *Server) saveSettings(c echo.Context) error {
	v := "false"
	if c.FormValue("allow_delete") != "" {
		v = "true"
	}
	if err := s.Store.SetSetting(c.Request().Context(), settingAllowDelete, v, currentUser(c).Email); err != nil {
		return err
	}
	s.flash(c, "Settings saved.")
	return c.Redirect(http.StatusSeeOther, "/settings")
}
