package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/auth"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// confirmTOTP makes a new authenticator app count once a code from it
// passes. With the person's first factor come ten recovery codes, shown
// this once.
func (s *Server) confirmTOTP(c echo.Context) error {
	u := currentUser(c)
	ctx := c.Request().Context()
	id, _ := strconv.ParseInt(c.FormValue("factor"), 10, 64)
	secret, err := s.Store.FactorSecret(ctx, u.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return userError(http.StatusNotFound, "This authenticator app is no longer being added. Start again on Your account.")
	}
	if err != nil {
		return err
	}
	factors, err := s.Store.Factors(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, f := range factors {
		if f.ID == id && f.Confirmed {
			return userError(http.StatusConflict, "This authenticator app has been added already.")
		}
	}
	step, ok := auth.CheckTOTP(secret, c.FormValue("totp-code"), s.Now())
	if !ok {
		e, err := auth.TOTPEnrolmentFor(totpIssuer, u.Email, secret)
		if err != nil {
			return err
		}
		m, err := s.accountPage(c)
		if err != nil {
			return err
		}
		m.TOTP = totpView(e, id, "This code is not right. Enter the six digits the app shows now.")
		return render(c, http.StatusUnprocessableEntity, views.Account(m))
	}
	if err := s.Store.ConfirmFactor(ctx, u.ID, id, step); err != nil {
		return err
	}
	left, err := s.Store.RecoveryCodesLeft(ctx, u.ID)
	if err != nil {
		return err
	}
	if left > 0 {
		s.flash(c, "Authenticator app added: signing in now asks for its code.")
		return c.Redirect(http.StatusSeeOther, "/account")
	}
	return s.showNewRecoveryCodes(c, "Authenticator app added: signing in now asks for its code.")
}
