package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/labstack/echo/v4"
)

// passkeyOptions starts adding a passkey: the options the browser's
// navigator.credentials.create takes, with the person's passkeys excluded.
func (s *Server) passkeyOptions(c echo.Context) error {
	wa, err := s.webAuthn()
	if err != nil {
		return jsonRefusal(c, http.StatusConflict, "Passkeys need TOKENDESK_BASE_URL with a host name, not an IP address.")
	}
	var body struct {
		Password string `json:"password"`
	}
	_ = json.NewDecoder(io.LimitReader(c.Request().Body, 4096)).Decode(&body)
	if currentUser(c).PasswordHash != "" {
		msg := "Enter your current password: adding a passkey needs it."
		if body.Password != "" {
			var err error
			if msg, err = s.checkTypedPassword(c, body.Password); err != nil {
				var he *echo.HTTPError
				if errors.As(err, &he) {
					return jsonRefusal(c, he.Code, fmt.Sprint(he.Message))
				}
				return err
			}
		}
		if msg != "" {
			return jsonRefusal(c, http.StatusUnprocessableEntity, msg)
		}
	}
	user, err := s.loadPasskeyUser(c.Request().Context(), *currentUser(c))
	if err != nil {
		return err
	}
	creation, sd, err := wa.BeginRegistration(user, webauthn.WithExclusions(webauthn.Credentials(user.creds).CredentialDescriptors()))
	if err != nil {
		return err
	}
	if err := s.saveCeremony(c, sd); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, creation)
}
