package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// confirmDeleteWebhook asks before an endpoint goes.
func (s *Server) confirmDeleteWebhook(c echo.Context) error {
	h, err := s.webhookParam(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.WebhookDelete(views.WebhookDeletePage{
		Page: s.page(c, "Delete endpoint", views.NavSettings, views.Crumb{Label: "Settings", URL: "/settings"},
			views.Crumb{Label: "Notifications", URL: webhooksURL}, views.Crumb{Label: "Delete"}),
		URL: h.URL, PostURL: webhookURL(h.ID) + "/delete", CancelURL: webhookURL(h.ID),
	}))
}

// deleteWebhook removes an endpoint with its pending deliveries.
func (s *Server) deleteWebhook(c echo.Context) error {
	h, err := s.webhookParam(c)
	if err != nil {
		return err
	}
	err = s.Store.DeleteWebhook(c.Request().Context(), h.ID, currentUser(c).Email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	s.flash(c, "Endpoint "+h.URL+" deleted.")
	return c.Redirect(http.StatusSeeOther, webhooksURL)
}
