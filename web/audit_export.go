package web

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// exportAudit downloads every entry that passes the Audit Log's filters as
// CSV, streamed a page at a time.
func (s *Server) exportAudit(c echo.Context) error {
	f, form, err := s.auditFilter(c)
	if err != nil {
		return err
	}
	if len(form.Errors) > 0 {
		m := views.AuditPage{Page: s.page(c, "Audit Log", views.NavAudit), Tabs: auditTabs("/audit"), Filters: form}
		return render(c, http.StatusUnprocessableEntity, views.Audit(m))
	}
	w := s.startCSV(c, "audit", []string{"Time (UTC)", "Who", "What happened", "Action", "About", "Scope", "Fields and details"})
	err = s.Store.EachAudit(c.Request().Context(), f, func(a store.Audit) error {
		r := auditRow(a)
		return w.Write(csvRow(a.At.UTC().Format("2006-01-02 15:04:05"), r.Actor, r.Action, a.Action, r.Subject, r.Scope, r.Fields))
	})
	return s.endCSV(c, w, err)
}

// startCSV sends the headers of a CSV download named after what and the
// day, and the header row.
func (s *Server) startCSV(c echo.Context, what string, header []string) *csv.Writer {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="tokendesk-%s-%s.csv"`, what, s.Now().UTC().Format("2006-01-02")))
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	w.Write(header)
	return w
}

// endCSV finishes a download. Once the first row is out the status is
// sent: a failure then cuts the file short and is logged.
func (s *Server) endCSV(c echo.Context, w *csv.Writer, err error) error {
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if err != nil {
		s.Logger.ErrorContext(c.Request().Context(), "CSV export cut short", "err", err, "route", c.Path(), "request_id", requestID(c))
	}
	return nil
}

// csvRow makes cells safe to open in a spreadsheet: a cell that starts
// like a formula ("=", "+", "-", "@", or a tab or carriage return that a
// spreadsheet skips) gets a leading apostrophe, so it is shown as text and
// never run. Names, subjects and details are typed by people and API
// consumers, so any of them could be a formula.
func csvRow(cells ...string) []string {
	for i, v := range cells {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			cells[i] = "'" + v
		}
	}
	return cells
}
