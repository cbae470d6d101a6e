package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
)

// startSSO sends the browser to the identity provider to sign in: the
// "Sign in with …" button.
func (s *Server) startSSO(c echo.Context) error {
	set, err := s.Store.SSOSettingsNow(c.Request().Context())
	if err != nil {
		return err
	}
	if !set.Enabled {
		return userError(http.StatusNotFound, "Single sign-on is not switched on. Sign in with your email and password.")
	}
	to, err := s.startSSOTrip(c, set, store.SSOModeSignIn, 0, safeNext(c.QueryParam("next")))
	if err != nil {
		return ssoError(err)
	}
	return c.Redirect(http.StatusSeeOther, to)
}
