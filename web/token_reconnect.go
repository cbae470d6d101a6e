package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
)

// reconnectToken is Reconnect: one trip through the service's consent
// page for a saved token whose grant is gone (or soon will be), with its
// stored settings and secrets. The callback saves the new grant.
func (s *Server) reconnectToken(c echo.Context) error {
	t, p, err := s.tokenParam(c)
	if err != nil {
		return err
	}
	if p.Consent == nil {
		return userError(http.StatusBadRequest, "This kind of token is not connected through a consent page: use Renew now or Get OAuth 2.0 Access Token on its form.")
	}
	values, err := s.Store.TokenValues(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	if !p.Consent.Needed(values) {
		return userError(http.StatusBadRequest, "This token uses Client Credentials: there is no consent to give again. Press Renew now.")
	}
	to, err := s.consentTrip(c, p, scopeOf(c).AppID, t.ID, true, consentDraft{Call: values})
	var problem consentProblem
	if errors.As(err, &problem) {
		s.flashError(c, "Reconnect cannot start: "+string(problem)+" Fix it on the form below and save.")
		return c.Redirect(http.StatusSeeOther, scopeOf(c).tokenURL(t.ID))
	}
	if err != nil {
		return err
	}
	return s.continueToConsent(c, serviceName(p, values), to)
}
