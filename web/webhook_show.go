package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// deliveriesShown is how many of an endpoint's latest deliveries its page lists.
const deliveriesShown = 50

// webhookParam loads the endpoint the URL names.
func (s *Server) webhookParam(c echo.Context) (store.Webhook, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return store.Webhook{}, userError(http.StatusNotFound, "There is no such webhook endpoint.")
	}
	h, err := s.Store.WebhookByID(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Webhook{}, userError(http.StatusNotFound, "There is no such webhook endpoint. It may have been deleted.")
	}
	return h, err
}

// showWebhook is an endpoint's page: settings, secret, test, deliveries.
func (s *Server) showWebhook(c echo.Context) error {
	h, err := s.webhookParam(c)
	if err != nil {
		return err
	}
	return s.renderWebhook(c, http.StatusOK, h, webhookForm(webhookURL(h.ID), "Save", h.URL, h.Events, nil))
}

func (s *Server) renderWebhook(c echo.Context, status int, h store.Webhook, form views.WebhookForm) error {
	ds, err := s.Store.Deliveries(c.Request().Context(), h.ID, deliveriesShown)
	if err != nil {
		return err
	}
	m := views.WebhookPage{
		Page: s.page(c, h.URL, views.NavSettings, views.Crumb{Label: "Settings", URL: "/settings"},
			views.Crumb{Label: "Notifications", URL: webhooksURL}, views.Crumb{Label: "Endpoint"}),
		URL: h.URL, Form: form, Secret: s.takeSecret(c, h.ID),
		SecretURL: webhookURL(h.ID) + "/secret", TestURL: webhookURL(h.ID) + "/test", DeleteURL: webhookURL(h.ID) + "/delete",
		PreviousUntil: h.PreviousUntil,
	}
	for _, d := range ds {
		m.Deliveries = append(m.Deliveries, deliveryRow(d))
	}
	return render(c, status, views.Webhook(m))
}

func deliveryRow(d store.Delivery) views.DeliveryRow {
	r := views.DeliveryRow{Event: d.Event, MsgID: d.MsgID, Created: views.When(d.CreatedAt)}
	switch d.State {
	case store.DeliveryDelivered:
		r.State = "Delivered"
	case store.DeliveryFailed:
		r.State = fmt.Sprintf("Failed: not accepted within a day (%d attempts)", d.Attempts)
		if d.Event == store.EventTest {
			r.State = "Failed: not accepted (test events are tried once)"
		}
	default:
		r.State = "Pending"
		if d.Attempts > 0 {
			r.State = fmt.Sprintf("Retrying (%d attempts so far)", d.Attempts)
		}
		if !d.NextAt.IsZero() {
			r.Next = "Next attempt " + views.When(d.NextAt)
		}
	}
	for _, a := range d.Tries {
		r.Attempts = append(r.Attempts, views.AttemptRow{At: a.At.UTC().Format("2006-01-02 15:04:05 UTC"), Answer: answerOf(a),
			Excerpt: a.Excerpt, Duration: fmt.Sprintf("%d ms", a.Duration.Milliseconds())})
	}
	return r
}

// answerOf says what the receiver answered: "200 OK", why there was no
// answer, or "Sent" for an e-mail the mail server took.
func answerOf(a store.Attempt) string {
	switch {
	case a.Status == 0 && a.Error == "":
		return "Sent"
	case a.Status == 0:
		return a.Error
	case a.Error != "":
		return strconv.Itoa(a.Status) + " " + http.StatusText(a.Status) + " (" + a.Error + ")"
	}
	return strconv.Itoa(a.Status) + " " + http.StatusText(a.Status)
}
