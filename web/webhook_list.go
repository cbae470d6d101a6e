package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/notify"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

const webhooksURL = "/settings/webhooks"

// Notifier delivers queued notifications; *notify.Dispatcher implements it.
type Notifier interface {
	DeliverNow(ctx context.Context, deliveryID int64) (store.Attempt, error)
	Wake()
}

// eventHints say what each event means, beside its checkbox.
var eventHints = map[string]string{
	store.EventRenewalFailing:   "renewals of a token keep failing (once, after the second failure in a row)",
	store.EventRenewalRecovered: "a failing token renewed again",
	store.EventRenewalStopped:   "renewals failed for 3 days and were stopped: the token needs attention",
	store.EventTokenExpiring:    "an access or refresh token runs out soon and nothing will renew it",
	store.EventNeedsReconnect:   "the service refused the refresh token; someone must connect again",
	store.EventTokenChanged:     "a person edited or deleted a token, or pressed Renew now",
}

// showWebhooks is Settings → Notifications: the endpoints and a form for a new one.
func (s *Server) showWebhooks(c echo.Context) error {
	return s.renderWebhooks(c, http.StatusOK, webhookForm(webhooksURL, "Add endpoint", "", store.Events, nil))
}

func (s *Server) renderWebhooks(c echo.Context, status int, form views.WebhookForm) error {
	ctx := c.Request().Context()
	hooks, err := s.Store.Webhooks(ctx)
	if err != nil {
		return err
	}
	m := views.WebhooksPage{Page: s.page(c, "Notifications", views.NavSettings, views.Crumb{Label: "Settings", URL: "/settings"}, views.Crumb{Label: "Notifications"}),
		Form: form}
	for _, h := range hooks {
		last := "Nothing sent yet"
		if ds, err := s.Store.Deliveries(ctx, h.ID, 1); err != nil {
			return err
		} else if len(ds) > 0 {
			last = deliveryRow(ds[0]).State + " · " + ds[0].Event
		}
		m.Rows = append(m.Rows, views.WebhookRow{URL: h.URL, Events: strings.Join(h.Events, ", "), ShowURL: webhookURL(h.ID), Last: last})
	}
	allow, err := s.Store.GetSetting(ctx, store.SettingWebhooksAllowPrivate)
	if err != nil {
		return err
	}
	m.AllowPrivate = allow == "true"
	if sm := s.Config.SMTP; sm != nil {
		m.SMTP = fmt.Sprintf("%s through %s", sm.From, sm.Host)
	}
	return render(c, status, views.Webhooks(m))
}

func webhookURL(id int64) string { return webhooksURL + "/" + strconv.FormatInt(id, 10) }

// webhookForm is the URL and event choices, with errs beside their fields.
func webhookForm(postURL, submit, url string, events []string, errs map[string]string) views.WebhookForm {
	f := views.WebhookForm{PostURL: postURL, Submit: submit, URL: url, Errors: errs}
	for _, ev := range store.Events {
		f.Events = append(f.Events, views.Option{Label: ev, Value: eventHints[ev], Selected: slices.Contains(events, ev)})
	}
	return f
}

// webhookInput reads and checks the form: the URL and the chosen events.
func (s *Server) webhookInput(c echo.Context) (string, []string, map[string]string, error) {
	url := strings.TrimSpace(c.FormValue("url"))
	var events []string
	errs := map[string]string{}
	form, _ := c.FormParams()
	for _, ev := range form["event"] {
		if !slices.Contains(store.Events, ev) {
			errs["events"] = fmt.Sprintf("“%s” is not an event tokendesk sends. Choose from the list.", strings.ToValidUTF8(ev, "\uFFFD"))
			continue
		}
		if !slices.Contains(events, ev) {
			events = append(events, ev)
		}
	}
	if len(events) == 0 && errs["events"] == "" {
		errs["events"] = "Choose at least one event to send to this endpoint."
	}
	if msg := notify.CheckURL(url, s.Config.SMTP != nil); msg != "" {
		errs["url"] = msg
		url = strings.ToValidUTF8(url, "\uFFFD")
	} else if msg := notify.CheckTarget(url); msg != "" {
		// Saved, it would only collect refused deliveries: say so now,
		// beside the field, unless the setting lets it through.
		allow, err := s.Store.GetSetting(c.Request().Context(), store.SettingWebhooksAllowPrivate)
		if err != nil {
			return "", nil, nil, err
		}
		if allow != "true" {
			errs["url"] = msg
		}
	}
	if len(errs) == 0 {
		errs = nil
	}
	return url, events, errs, nil
}
