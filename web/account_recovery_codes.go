package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/auth"
	"github.com/tokendesk/tokendesk/views"
)

// newRecoveryCodes replaces the person's recovery codes (the old ones
// stop working) and shows the new ones this once.
func (s *Server) newRecoveryCodes(c echo.Context) error {
	has, err := s.Store.HasSecondFactor(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	if !has {
		return userError(http.StatusConflict, "Recovery codes stand in for a second factor: add an authenticator app or a passkey first.")
	}
	if msg, err := s.proveIdentity(c, "recovery-password"); err != nil || msg != "" {
		return s.refuseFactorChange(c, "recovery-password", msg, err)
	}
	return s.showNewRecoveryCodes(c, "New recovery codes made: the earlier ones no longer work.")
}

// showNewRecoveryCodes stores a fresh set and renders them once; only
// their hashes are kept.
func (s *Server) showNewRecoveryCodes(c echo.Context, flash string) error {
	codes, hashes := auth.NewRecoveryCodes(auth.RecoveryCodeCount)
	if err := s.Store.ReplaceRecoveryCodes(c.Request().Context(), currentUser(c).ID, hashes); err != nil {
		return err
	}
	m, err := s.accountPage(c)
	if err != nil {
		return err
	}
	m.Flash, m.RecoveryCodes = flash, codes
	return render(c, http.StatusOK, views.Account(m))
}
