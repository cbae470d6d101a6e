package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// exportRefusals downloads the refused fetches that pass the filters as CSV.
func (s *Server) exportRefusals(c echo.Context) error {
	f, clients, errs, err := s.readFilter(c)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return render(c, http.StatusUnprocessableEntity, views.ReadAudit(s.readAuditPage(c, "/audit/refusals", clients, errs)))
	}
	w := s.startCSV(c, "refused-fetches", []string{"Minute (UTC)", "Last (UTC)", "Reason", "API client or key", "Token asked for", "Address", "Count"})
	err = s.Store.EachRefusal(c.Request().Context(), f, func(r store.Refusal) error {
		row := refusalRow(r)
		return w.Write(csvRow(r.Minute.Format("2006-01-02 15:04"), r.Last.UTC().Format("2006-01-02 15:04:05"), row.Reason,
			row.Client, row.Token, row.Address, strconv.FormatInt(r.Count, 10)))
	})
	return s.endCSV(c, w, err)
}
