package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// listRefusals is the refused runtime API fetches, each with its client (or
// key prefix), the token name asked for, the reason and the address;
// identical ones within a minute are one row with a count.
func (s *Server) listRefusals(c echo.Context) error {
	f, clients, errs, err := s.readFilter(c)
	if err != nil {
		return err
	}
	m := s.readAuditPage(c, "/audit/refusals", clients, errs)
	if len(errs) > 0 {
		return render(c, http.StatusUnprocessableEntity, views.ReadAudit(m))
	}
	after, _, err := readCursor(c, func(cur store.RefusalCursor) bool { return cur.Minute > 0 && cur.ID > 0 })
	if err != nil {
		return err
	}
	rows, more, err := s.Store.Refusals(c.Request().Context(), f, readsPerPage, after)
	if err != nil {
		return err
	}
	for _, r := range rows {
		m.Refused = append(m.Refused, refusalRow(r))
	}
	if more {
		last := rows[len(rows)-1]
		m.NextURL = "/audit/refusals" + filterQuery(c, readFilterParams, "after",
			encodeCursor(store.RefusalCursor{Minute: last.Minute.Unix() / 60, ID: last.ID}))
	}
	return render(c, http.StatusOK, views.ReadAudit(m))
}

func refusalRow(r store.Refusal) views.RefusalRow {
	row := views.RefusalRow{Minute: r.Minute, Last: r.Last, Reason: readOutcome(r.Reason), Client: readClient(r.ClientID, r.ClientName, r.KeyPrefix),
		Token: r.TokenName, Address: r.Address, Count: r.Count}
	if r.Address == "" {
		// Counted together: that minute had too many different refusals.
		row.Client, row.Token, row.Address = "Various", "Various", "Various (too many to list)"
	}
	return row
}
