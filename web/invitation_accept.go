package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/auth"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// acceptInvitation creates the invited person with the password they
// chose, spends the invitation and signs them in.
func (s *Server) acceptInvitation(c echo.Context) error {
	token := c.FormValue("token")
	m, status, err := s.invitationPage(c, token)
	if err != nil {
		return err
	}
	if m.Refusal != "" {
		return render(c, status, views.Invitation(m))
	}
	if m.PasswordOff {
		// A break-glass administrator is named in Settings, never made
		// by an invitation: with password sign-in off, the identity
		// provider is the way in.
		m.Errors["form"] = "Password sign-in is turned off: sign in with " + m.SSOName + " instead."
		return render(c, http.StatusForbidden, views.Invitation(m))
	}
	password := c.FormValue("password")
	if msg := auth.ValidatePassword(password); msg != "" {
		m.Errors["password"] = msg
		return render(c, http.StatusUnprocessableEntity, views.Invitation(m))
	}
	hash, err := s.Hasher.Hash(password)
	if err != nil {
		return err
	}
	u, err := s.Store.AcceptInvitation(c.Request().Context(), invitationHash(token), hash)
	switch {
	case errors.Is(err, store.ErrInvitationUsed), errors.Is(err, store.ErrInvitationExpired), errors.Is(err, store.ErrNotFound):
		// Spent or ended between the page and the form: say so.
		m, status, err := s.invitationPage(c, token)
		if err != nil {
			return err
		}
		return render(c, status, views.Invitation(m))
	case errors.Is(err, store.ErrDuplicateUser):
		m.Errors["form"] = "A user with this email exists already. Sign in instead."
		return render(c, http.StatusConflict, views.Invitation(m))
	case err != nil:
		return err
	}
	if err := s.startSession(c, u.ID); err != nil {
		return err
	}
	s.Logger.Info("invitation accepted", "user", u.Email)
	s.flash(c, "Welcome to tokendesk.")
	return c.Redirect(http.StatusSeeOther, "/")
}
