package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/sso"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// showSSOSettings is Settings → Single sign-on.
func (s *Server) showSSOSettings(c echo.Context) error {
	set, err := s.Store.SSOSettingsNow(c.Request().Context())
	if err != nil {
		return err
	}
	if set.Claim == "" && set.Issuer == "" {
		set.Claim, set.Scopes = "groups", []string{"email", "profile"}
	}
	return render(c, http.StatusOK, views.SSOSettings(s.ssoSettingsPage(c, set)))
}

func (s *Server) ssoSettingsPage(c echo.Context, set store.SSOSettings) views.SSOSettingsPage {
	m := views.SSOSettingsPage{
		Page: s.page(c, "Single sign-on", views.NavSettings, views.Crumb{Label: "Settings", URL: "/settings"}, views.Crumb{Label: "Single sign-on"}),
		Name: set.Name, Issuer: set.Issuer, ClientID: set.ClientID, HasSecret: set.HasSecret, RedirectURI: s.ssoRedirectURI(),
		Scopes: strings.Join(set.Scopes, " "), Claim: set.Claim, AdminValues: strings.Join(set.AdminValues, "\n"),
		DesignerRules: sso.DesignerText(set.DesignerRules), Enabled: set.Enabled, PasswordOff: set.PasswordOff, TrustEmail: set.TrustEmail,
		BreakGlass: strings.Join(set.BreakGlass, "\n"),
	}
	if !set.TestedAt.IsZero() {
		m.Tested = "Test sign-in succeeded " + views.Ago(set.TestedAt, s.Now()) + " (" + set.TestedBy + ")."
	}
	return m
}
