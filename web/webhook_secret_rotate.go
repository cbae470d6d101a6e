package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/notify"
	"github.com/tokendesk/tokendesk/internal/store"
)

// rotateWebhookSecret gives an endpoint a new secret, shown once; the old
// one signs nothing from now on.
func (s *Server) rotateWebhookSecret(c echo.Context) error {
	h, err := s.webhookParam(c)
	if err != nil {
		return err
	}
	secret := notify.NewSecret()
	err = s.Store.RotateWebhookSecret(c.Request().Context(), h.ID, secret, currentUser(c).Email)
	if errors.Is(err, store.ErrNotFound) {
		return userError(http.StatusNotFound, "There is no such webhook endpoint. It may have been deleted.")
	}
	if err != nil {
		return err
	}
	if err := s.handOverSecret(c, h.ID, secret); err != nil {
		return err
	}
	s.flash(c, "New signing secret made. Copy it now and give it to the receiver: deliveries are signed with it from now on.")
	return c.Redirect(http.StatusSeeOther, webhookURL(h.ID))
}
