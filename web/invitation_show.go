package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// showInvitation is where an invited person chooses their password. A
// used, expired or unknown link is refused, saying which.
func (s *Server) showInvitation(c echo.Context) error {
	token := c.QueryParam("token")
	m, status, err := s.invitationPage(c, token)
	if err != nil {
		return err
	}
	return render(c, status, views.Invitation(m))
}

// invitationPage finds the invitation of token: its page, or a refusal
// with its status.
func (s *Server) invitationPage(c echo.Context, token string) (views.InvitationPage, int, error) {
	m := views.InvitationPage{Page: s.page(c, "Join tokendesk", ""), Token: token, Errors: map[string]string{}}
	inv, err := s.Store.InvitationByHash(c.Request().Context(), invitationHash(token))
	switch {
	case errors.Is(err, store.ErrNotFound) || token == "":
		m.Refusal = "This invitation link is not right. Copy the whole link from the message, or ask an administrator for a new invitation."
		return m, http.StatusNotFound, nil
	case err != nil:
		return m, 0, err
	case !inv.UsedAt.IsZero():
		m.Refusal = "This invitation has been used already. Sign in with the password you chose, or ask an administrator for a new invitation."
		return m, http.StatusGone, nil
	case !s.Now().Before(inv.ExpiresAt):
		m.Refusal = "This invitation has expired. Ask an administrator for a new one."
		return m, http.StatusGone, nil
	}
	m.Email = inv.Email
	set, err := s.Store.SSOSettingsNow(c.Request().Context())
	if err != nil {
		return m, 0, err
	}
	if set.Enabled {
		m.SSOName, m.PasswordOff = set.Name, set.PasswordOff
	}
	return m, http.StatusOK, nil
}
