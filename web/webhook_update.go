package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
)

// updateWebhook saves an endpoint's URL and events.
func (s *Server) updateWebhook(c echo.Context) error {
	h, err := s.webhookParam(c)
	if err != nil {
		return err
	}
	url, events, errs, err := s.webhookInput(c)
	if err != nil {
		return err
	}
	if errs != nil {
		return s.renderWebhook(c, http.StatusUnprocessableEntity, h, webhookForm(webhookURL(h.ID), "Save", url, events, errs))
	}
	err = s.Store.UpdateWebhook(c.Request().Context(), h.ID, url, events, currentUser(c).Email)
	if errors.Is(err, store.ErrNotFound) {
		return userError(http.StatusNotFound, "There is no such webhook endpoint. It may have been deleted.")
	}
	if err != nil {
		return err
	}
	s.flash(c, "Endpoint saved.")
	return c.Redirect(http.StatusSeeOther, webhookURL(h.ID))
}
