package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// loginPasskeyOptions starts the second step with a passkey: the options
// navigator.credentials.get takes, allowing the person's passkeys only.
func (s *Server) loginPasskeyOptions(c echo.Context) error {
	id := s.pendingUser(c)
	if id == 0 {
		return jsonRefusal(c, http.StatusUnauthorized, "Your sign-in took too long. Sign in again.")
	}
	wa, err := s.webAuthn()
	if err != nil {
		return jsonRefusal(c, http.StatusConflict, "Passkeys need TOKENDESK_BASE_URL with a host name, not an IP address.")
	}
	u, err := s.Store.UserByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	user, err := s.loadPasskeyUser(c.Request().Context(), u)
	if err != nil {
		return err
	}
	if len(user.creds) == 0 {
		return jsonRefusal(c, http.StatusConflict, "You have no passkey. Use your authenticator app or a recovery code.")
	}
	assertion, sd, err := wa.BeginLogin(user)
	if err != nil {
		return err
	}
	if err := s.saveCeremony(c, sd); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, assertion)
}
