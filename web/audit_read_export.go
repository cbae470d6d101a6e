package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// exportReads downloads the read audit that passes the filters as CSV.
func (s *Server) exportReads(c echo.Context) error {
	f, clients, errs, err := s.readFilter(c)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return render(c, http.StatusUnprocessableEntity, views.ReadAudit(s.readAuditPage(c, "/audit/reads", clients, errs)))
	}
	w := s.startCSV(c, "api-fetches", []string{"Minute (UTC)", "API client", "Token", "Outcome", "Count"})
	err = s.Store.EachRead(c.Request().Context(), f, func(r store.ReadRow) error {
		return w.Write(csvRow(r.Minute.Format("2006-01-02 15:04"), readClient(r.ClientID, r.ClientName, r.KeyPrefix),
			readToken(r.TokenID, r.TokenName), readOutcome(r.Outcome), strconv.FormatInt(r.Count, 10)))
	})
	return s.endCSV(c, w, err)
}
