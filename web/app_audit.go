package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// listAppAudit is one app's audit entries, newest first, for its designers
// (and administrators): the Audit Log narrowed to the app, read-only.
// Entries about global tokens or other apps never show here.
func (s *Server) listAppAudit(c echo.Context) error {
	app, err := s.appParam(c)
	if err != nil {
		return err
	}
	after, before, err := readCursor(c, func(cur store.AuditCursor) bool { return cur.ID > 0 })
	if err != nil {
		return err
	}
	base := appURL(app.ID) + "/audit"
	entries, pg, err := s.Store.AuditLog(c.Request().Context(), store.AuditQuery{Limit: auditPerPage, After: after, Before: before,
		Filter: store.AuditFilter{AppID: app.ID}})
	if err != nil {
		return err
	}
	m := views.AppAuditPage{Page: s.page(c, app.Name+" · Audit Log", views.NavApps, views.AppsCrumb,
		views.Crumb{Label: app.Name, URL: appURL(app.ID)}, views.Crumb{Label: "Audit Log"}), AppName: app.Name}
	for _, a := range entries {
		r := auditRow(a)
		if !strings.HasPrefix(r.SubjectURL, appURL(app.ID)) {
			r.SubjectURL = "" // only this app's pages are the designer's to open
		}
		m.Rows = append(m.Rows, r)
	}
	if pg.HasPrev {
		m.PrevURL = base + "?before=" + encodeCursor(pg.First)
	}
	if pg.HasNext {
		m.NextURL = base + "?after=" + encodeCursor(pg.Last)
	}
	return render(c, http.StatusOK, views.AppAudit(m))
}
