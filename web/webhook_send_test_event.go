package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
)

// sendTestEvent queues a webhook.test delivery and makes its one attempt
// at once, so the page shows the receiver's answer; a test is never retried.
func (s *Server) sendTestEvent(c echo.Context) error {
	h, err := s.webhookParam(c)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(c, actionTimeout)
	defer cancel()
	id, err := s.Store.QueueTestEvent(ctx, h.ID, currentUser(c).Email)
	if err != nil {
		return err
	}
	if s.Notifier == nil {
		s.flash(c, "Test event queued.")
		return c.Redirect(http.StatusSeeOther, webhookURL(h.ID))
	}
	a, err := s.Notifier.DeliverNow(ctx, id)
	switch {
	case errors.Is(err, store.ErrLeased):
		s.flash(c, "Test event queued; it is being sent.")
	case err != nil:
		return err
	case a.Accepted() && a.Status == 0:
		s.flash(c, "Test event sent: "+a.Excerpt+".")
	case a.Accepted():
		s.flash(c, fmt.Sprintf("Test event delivered: the endpoint answered %s in %d ms.", answerOf(a), a.Duration.Milliseconds()))
	default:
		s.flashError(c, "Test event not accepted: "+answerOf(a)+". Test events are tried once, never retried: fix the endpoint, then send another.")
	}
	return c.Redirect(http.StatusSeeOther, webhookURL(h.ID))
}
