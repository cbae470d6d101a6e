package web

import (
	"net/http"
	"strconv"
	"strings"

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
	days, err := s.retentionDays(c.Request().Context())
	if err != nil {
		return err
	}
	requireFactor, err := s.Store.GetSetting(c.Request().Context(), settingRequireFactor)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Settings(views.SettingsPage{Page: s.page(c, "Settings", views.NavSettings), AllowDelete: allowed,
		RequireAdminFactor: requireFactor == "true",
		Keyring:            keys, RetentionDays: strconv.Itoa(days),
		PrivateTargets: s.Store.ProvidersAllowPrivate(c.Request().Context()), PrivateByConfig: s.Config.AllowPrivateTargets}))
}

func (s *Server) saveSettings(c echo.Context) error {
	ctx := c.Request().Context()
	v := "false"
	if c.FormValue("allow_delete") != "" {
		v = "true"
	}
	params, err := c.FormParams()
	if err != nil {
		return err
	}
	_, sent := params["retention_days"] // a form from before the field keeps the setting
	days, err := strconv.Atoi(strings.TrimSpace(c.FormValue("retention_days")))
	if sent && (err != nil || days < 1 || days > maxRetentionDays) {
		keys, err := s.keyringPanel(c)
		if err != nil {
			return err
		}
		m := views.SettingsPage{Page: s.page(c, "Settings", views.NavSettings), AllowDelete: v == "true", Keyring: keys, RetentionDays: c.FormValue("retention_days"),
			Errors: map[string]string{"retention_days": "Enter a whole number of days from 1 to 36500 (400 keeps a little over a year)."}}
		return render(c, http.StatusUnprocessableEntity, views.Settings(m))
	}
	if err := s.Store.SetSetting(ctx, settingAllowDelete, v, currentUser(c).Email); err != nil {
		return err
	}
	if old, err := s.retentionDays(ctx); err != nil {
		return err
	} else if sent && old != days {
		if err := s.Store.SetSetting(ctx, settingRetentionDays, strconv.Itoa(days), currentUser(c).Email); err != nil {
			return err
		}
	}
	s.flash(c, "Settings saved.")
	return c.Redirect(http.StatusSeeOther, "/settings")
}
