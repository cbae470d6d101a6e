package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/notify"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// confirmRotateWebhookSecret asks before a new secret is made: the
// receiver has to be given it, and the old one stops signing in a day.
func (s *Server) confirmRotateWebhookSecret(c echo.Context) error {
	h, err := s.webhookParam(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.WebhookRotate(views.WebhookRotatePage{
		Page: s.page(c, "Rotate secret", views.NavSettings, views.Crumb{Label: "Settings", URL: "/settings"},
			views.Crumb{Label: "Notifications", URL: webhooksURL}, views.Crumb{Label: "Endpoint", URL: webhookURL(h.ID)},
			views.Crumb{Label: "Rotate secret"}),
		URL: h.URL, Until: s.Now().Add(store.SecretOverlap), Replaces: !h.PreviousUntil.IsZero(),
		PostURL: webhookURL(h.ID) + "/secret", CancelURL: webhookURL(h.ID),
	}))
}

// rotateWebhookSecret gives an endpoint a new secret, shown once; the old
// one signs beside it for store.SecretOverlap.
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
	s.flash(c, "New signing secret made. Copy it now and give it to the receiver: deliveries are signed with it from now on, and with the previous one too until "+
		views.When(s.Now().Add(store.SecretOverlap))+".")
	return c.Redirect(http.StatusSeeOther, webhookURL(h.ID))
}
