package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/auth"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// totpIssuer names tokendesk in authenticator apps.
const totpIssuer = "tokendesk"

// newTOTP starts adding an authenticator app: a new secret, stored sealed
// and unconfirmed, shown this once as a QR code and a key to type. It
// counts only when a code from the app confirms it (confirmTOTP).
func (s *Server) newTOTP(c echo.Context) error {
	u := currentUser(c)
	if msg, err := s.proveIdentity(c, "totp-password"); err != nil || msg != "" {
		return s.refuseFactorChange(c, "totp-password", msg, err)
	}
	e, err := auth.NewTOTP(totpIssuer, u.Email)
	if err != nil {
		return err
	}
	id, err := s.Store.AddFactor(c.Request().Context(), u.ID, store.FactorTOTP, "added "+s.Now().UTC().Format("2 Jan 2006"), e.Secret, nil, false)
	if err != nil {
		return err
	}
	m, err := s.accountPage(c)
	if err != nil {
		return err
	}
	m.TOTP = totpView(e, id, "")
	return render(c, http.StatusOK, views.Account(m))
}

func totpView(e auth.TOTPEnrolment, id int64, msg string) *views.TOTPEnrolment {
	return &views.TOTPEnrolment{FactorID: id, QR: e.QR, URI: e.URI, Secret: auth.GroupsOf4(e.Base32), ConfirmURL: "/account/totp/confirm", Error: msg}
}
