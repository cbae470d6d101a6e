package web

import (
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// auditFilterParams are the filter fields of the Audit Log's form, in the
// order page links carry them.
var auditFilterParams = []string{"who", "token", "app", "action", "from", "to"}

// dateLayout is how the date filters are typed (and what a browser's date
// input sends).
const dateLayout = "2006-01-02"

// auditFilter reads the Audit Log's filters from the query string. Each
// value that cannot filter gets an error naming its field; the form keeps
// what was typed.
func (s *Server) auditFilter(c echo.Context) (store.AuditFilter, views.AuditFilters, error) {
	ctx := c.Request().Context()
	q := c.QueryParams()
	form := views.AuditFilters{
		Who: strings.TrimSpace(q.Get("who")), Token: strings.TrimSpace(q.Get("token")),
		From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")),
		Errors: map[string]string{},
	}
	f := store.AuditFilter{Actor: truncateRunes(form.Who, 320), Token: truncateRunes(form.Token, 200)}

	apps, err := s.Store.ListApps(ctx, 0)
	if err != nil {
		return f, form, err
	}
	app := q.Get("app")
	for _, a := range apps {
		id := strconv.FormatInt(a.ID, 10)
		form.Apps = append(form.Apps, views.Option{Value: id, Label: a.Name, Selected: id == app})
		if id == app {
			f.AppID = a.ID
		}
	}
	if app != "" && f.AppID == 0 {
		form.Errors["app"] = "Choose an app from the list; this one does not exist (any more)."
	}

	action := q.Get("action")
	for code := range maps.Keys(auditSentences) {
		form.Actions = append(form.Actions, views.Option{Value: code, Label: auditSentences[code], Selected: code == action})
	}
	slices.SortFunc(form.Actions, func(a, b views.Option) int { return strings.Compare(a.Label, b.Label) })
	if action != "" {
		if _, ok := auditSentences[action]; !ok {
			form.Errors["action"] = "Choose what happened from the list."
		} else {
			f.Action = action
		}
	}

	from, fromOK := parseDate(form.From)
	to, toOK := parseDate(form.To)
	switch {
	case !fromOK:
		form.Errors["from"] = "Enter the first day as YYYY-MM-DD, for example 2026-11-01."
	case !toOK:
		form.Errors["to"] = "Enter the last day as YYYY-MM-DD, for example 2026-11-30."
	case !from.IsZero() && !to.IsZero() && to.Before(from):
		form.Errors["to"] = "The last day is before the first day: swap them."
	}
	f.From = from
	if !to.IsZero() {
		f.To = to.AddDate(0, 0, 1) // the whole last day
	}

	users, err := s.Store.ListUsers(ctx)
	if err != nil {
		return f, form, err
	}
	for _, u := range users {
		form.People = append(form.People, u.Email)
	}
	form.People = append(form.People, store.RenewalActor)
	form.Active = form.Who != "" || form.Token != "" || app != "" || action != "" || form.From != "" || form.To != ""
	if err := s.pickAuditNames(c, &f, &form); err != nil {
		return f, form, err
	}
	return f, form, nil
}

// parseDate reads a typed day (UTC, as the log shows times); "" is no day.
func parseDate(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(dateLayout, v)
	return t, err == nil
}

// filterQuery is the query string that repeats the filters of the request
// (for page links and the export), with extra parameters added.
func filterQuery(c echo.Context, params []string, extra ...string) string {
	v := url.Values{}
	for _, p := range params {
		if x := strings.TrimSpace(c.QueryParam(p)); x != "" {
			v.Set(p, x)
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// readFilterParams are the read audit's filter fields.
var readFilterParams = []string{"client", "token"}

// readFilter reads the read audit's filters: a client (or "unknown": keys
// no client was found for) and a token name.
func (s *Server) readFilter(c echo.Context) (store.ReadFilter, []views.Option, map[string]string, error) {
	errs := map[string]string{}
	f := store.ReadFilter{Token: truncateRunes(strings.TrimSpace(c.QueryParam("token")), 200)}
	clients, err := s.Store.AllClients(c.Request().Context())
	if err != nil {
		return f, nil, errs, err
	}
	chosen := c.QueryParam("client")
	opts := []views.Option{{Value: "unknown", Label: "Unknown or missing keys", Selected: chosen == "unknown"}}
	if chosen == "unknown" {
		f.ByClient = true
	}
	for _, cl := range clients {
		id := strconv.FormatInt(cl.ID, 10)
		label := cl.Name + " (" + cl.KeyPrefix + "…, "
		if cl.AppName != "" {
			label += "app " + cl.AppName
		} else {
			label += "global"
		}
		if cl.Revoked {
			label += ", revoked"
		}
		opts = append(opts, views.Option{Value: id, Label: label + ")", Selected: id == chosen})
		if id == chosen {
			f.Client, f.ByClient = cl.ID, true
		}
	}
	if chosen != "" && !f.ByClient {
		errs["client"] = "Choose an API client from the list; this one does not exist (any more)."
	}
	return f, opts, errs, nil
}

// auditTabs are the Audit Log's three views.
func auditTabs(current string) []views.Tab {
	tabs := []views.Tab{
		{Label: "Changes", URL: "/audit"},
		{Label: "API fetches", URL: "/audit/reads"},
		{Label: "Refused fetches", URL: "/audit/refusals"},
	}
	for i := range tabs {
		tabs[i].Current = tabs[i].URL == current
	}
	return tabs
}
