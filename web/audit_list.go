package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/views"
)

const auditPerPage = 50

// listAudit is the Audit Log, newest first.
func (s *Server) listAudit(c echo.Context) error {
	page, _ := strconv.Atoi(c.QueryParam("page"))
	page = max(page, 1)
	entries, more, err := s.Store.ListAudit(c.Request().Context(), page, auditPerPage)
	if err != nil {
		return err
	}
	m := views.AuditPage{Page: s.page(c, "Audit Log", views.NavAudit), PageNo: page}
	for _, a := range entries {
		p, known := registry.ByID(a.Provider)
		fields := a.Fields
		if known {
			fields = p.InScreenOrder(fields)
		}
		labels := make([]string, 0, len(fields))
		for _, f := range fields {
			if known {
				f = p.Label(f)
			}
			labels = append(labels, f)
		}
		m.Rows = append(m.Rows, views.AuditRow{At: a.At, Actor: a.Actor, Action: auditActionLabel(a.Action), Subject: a.Subject, Fields: strings.Join(labels, ", ")})
	}
	if page > 1 {
		m.PrevURL = "/audit?page=" + strconv.Itoa(page-1)
	}
	if more {
		m.NextURL = "/audit?page=" + strconv.Itoa(page+1)
	}
	return render(c, http.StatusOK, views.Audit(m))
}

func auditActionLabel(action string) string {
	switch action {
	case "token.create":
		return "Created token"
	case "token.update":
		return "Changed token"
	case "token.delete":
		return "Removed token"
	case "token.renew":
		return "Renewed token"
	case "token.renew.failed":
		return "Renewal failed"
	}
	return action
}
