package web

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
)

// addPasskey finishes adding a passkey: go-webauthn checks the browser's
// answer against the challenge of passkeyOptions; the credential is kept
// sealed. The answer says whether recovery codes are still to be made
// (the person's first factor), which the page then asks for.
func (s *Server) addPasskey(c echo.Context) error {
	wa, err := s.webAuthn()
	if err != nil {
		return jsonRefusal(c, http.StatusConflict, "Passkeys need TOKENDESK_BASE_URL with a host name, not an IP address.")
	}
	sd, ok, err := s.takeCeremony(c)
	if err != nil {
		return err
	}
	if !ok {
		return jsonRefusal(c, http.StatusBadRequest, "No passkey is being added. Press Add a passkey again.")
	}
	u := currentUser(c)
	ctx := c.Request().Context()
	user, err := s.loadPasskeyUser(ctx, *u)
	if err != nil {
		return err
	}
	cred, err := wa.FinishRegistration(user, sd, c.Request())
	if err != nil {
		s.Logger.Info("passkey registration refused", "user", u.Email, "reason", err.Error())
		return jsonRefusal(c, http.StatusUnprocessableEntity, "The passkey was not accepted. Press Add a passkey to try again.")
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	if _, err := s.Store.AddFactor(ctx, u.ID, store.FactorPasskey, "added "+s.Now().UTC().Format("2 Jan 2006"), raw, cred.ID, true); err != nil {
		return err
	}
	left, err := s.Store.RecoveryCodesLeft(ctx, u.ID)
	if err != nil {
		return err
	}
	if left > 0 {
		s.flash(c, "Passkey added: signing in now asks for it.")
	}
	return c.JSON(http.StatusOK, map[string]bool{"recovery": left == 0})
}
