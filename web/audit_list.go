package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

const auditPerPage = 50

// listAudit is the Audit Log, newest first, a page at a time: "Next" goes
// to older entries, "Previous" back to newer ones. The filters (who, token,
// app, action, days) travel in the query string, so a filtered page can be
// bookmarked, and every page link keeps them.
func (s *Server) listAudit(c echo.Context) error {
	f, form, err := s.auditFilter(c)
	if err != nil {
		return err
	}
	m := views.AuditPage{Page: s.page(c, "Audit Log", views.NavAudit), Tabs: auditTabs("/audit"), Filters: form}
	if len(form.Errors) > 0 {
		return render(c, http.StatusUnprocessableEntity, views.Audit(m))
	}
	if len(form.Picks) > 0 {
		return render(c, http.StatusOK, views.Audit(m)) // a name to choose first
	}
	after, before, err := readCursor(c, func(cur store.AuditCursor) bool { return cur.ID > 0 })
	if err != nil {
		return err
	}
	entries, pg, err := s.Store.AuditLog(c.Request().Context(), store.AuditQuery{Limit: auditPerPage, After: after, Before: before, Filter: f})
	if err != nil {
		return err
	}
	if before != nil && len(entries) == 0 {
		return c.Redirect(http.StatusSeeOther, "/audit"+filterQuery(c, auditFilterParams))
	}
	for _, a := range entries {
		m.Rows = append(m.Rows, auditRow(a))
	}
	if pg.HasPrev {
		m.PrevURL = "/audit" + filterQuery(c, auditFilterParams, "before", encodeCursor(pg.First))
	}
	if pg.HasNext {
		m.NextURL = "/audit" + filterQuery(c, auditFilterParams, "after", encodeCursor(pg.Last))
	}
	m.ExportURL = "/audit/export" + filterQuery(c, auditFilterParams)
	return render(c, http.StatusOK, views.Audit(m))
}

func auditRow(a store.Audit) views.AuditRow {
	p, known := registry.ByID(a.Provider)
	fields := a.Fields
	if known {
		fields = p.InScreenOrder(fields)
	}
	labels := make([]string, 0, len(fields)+1)
	for _, f := range fields {
		labels = append(labels, auditFieldLabel(p, known, f))
	}
	if a.Detail != "" {
		labels = append(labels, a.Detail)
	}
	if !a.LastAt.IsZero() {
		// One entry a day stands for the worker's routine renewals (store.countRenewal).
		labels = append(labels, views.Plural(a.Count, "routine renewal", "routine renewals")+" by the renewal worker this day (UTC), the latest at "+
			a.LastAt.UTC().Format("15:04 UTC"))
	}
	r := views.AuditRow{At: a.At, Actor: a.Actor, Action: auditSentence(a.Action), Subject: a.Subject, Fields: strings.Join(labels, ", ")}
	switch {
	case a.TokenID != 0:
		r.Scope = "Global"
		if a.AppID != 0 {
			r.Scope = "App " + a.AppName
			if a.AppName == "" {
				r.Scope = "An app since deleted"
			}
		}
		if known {
			r.Scope = p.Name + " · " + r.Scope
		}
		if a.TokenExists {
			sc := scope{Base: "/tokens"}
			if a.AppID != 0 {
				sc.Base = appURL(a.AppID) + "/tokens"
			}
			r.SubjectURL = sc.tokenURL(a.TokenID)
		}
	case strings.HasPrefix(a.Action, "app.") && a.AppExists:
		r.SubjectURL = appURL(a.AppID)
	case strings.HasPrefix(a.Action, "client.") && a.AppID != 0:
		r.Scope = "App " + a.AppName
	}
	return r
}

// auditSentences say what each recorded action did, for people.
var auditSentences = map[string]string{
	store.ActionTokenCreate:         "Created access token",
	store.ActionTokenUpdate:         "Changed access token",
	store.ActionTokenDelete:         "Removed access token",
	store.ActionTokenRenew:          "Renewed access token",
	store.ActionTokenRenewFailed:    "Renewal of access token failed",
	"token.permissions":             "Changed Permission Settings of access token",
	store.ActionAppCreate:           "Created application",
	store.ActionAppUpdate:           "Changed application",
	store.ActionAppDelete:           "Deleted application",
	"client.create":                 "Created API client key",
	"client.revoke":                 "Revoked API client key",
	"user.create":                   "Added user",
	"user.update":                   "Changed user",
	"user.password":                 "Reset the password of user",
	"settings.update":               "Changed setting",
	"key.rotate":                    "Rotated the master key", // before data keys
	store.ActionKeyRotate:           "Started a key rotation",
	store.ActionKeyRotateFinish:     "Finished a key rotation",
	store.ActionMasterKeyChange:     "Changed the master key",
	"session.end":                   "Ended a session of user",
	store.ActionTokenNeedsReconnect: "Service refused the grant of access token (needs reconnect)",
	"tokens.export":                 "Exported access tokens",
	"tokens.import":                 "Imported access tokens",
	"webhook.create":                "Added webhook endpoint",
	"webhook.update":                "Changed webhook endpoint",
	"webhook.secret":                "Rotated the signing secret of webhook endpoint",
	"webhook.delete":                "Removed webhook endpoint",
	store.ActionSSOSettings:         "Changed the single sign-on settings",
	store.ActionSSOTest:             "Ran a Test sign-in of single sign-on",
	store.ActionSSOSignIn:           "Signed in by single sign-on",
	store.ActionSSORefused:          "Single sign-on refused",
}

// auditSentence names an action; one this list does not know yet still
// reads as words ("user.sign_out" → "User: sign out"), never as a code.
func auditSentence(action string) string {
	if s, ok := auditSentences[action]; ok {
		return s
	}
	noun, verb, ok := strings.Cut(action, ".")
	if !ok {
		return strings.ReplaceAll(action, "_", " ")
	}
	words := strings.NewReplacer(".", " ", "_", " ").Replace(verb)
	if noun != "" {
		noun = strings.ToUpper(noun[:1]) + noun[1:]
	}
	return noun + ": " + words
}
