package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/engine"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// readsPerPage rows of the read audit make a page.
const readsPerPage = 100

// listReads is the read audit: the runtime API's fetches per minute,
// client, token and outcome, newest first, filtered by client and token.
func (s *Server) listReads(c echo.Context) error {
	f, clients, errs, err := s.readFilter(c)
	if err != nil {
		return err
	}
	m := s.readAuditPage(c, "/audit/reads", clients, errs)
	if len(errs) > 0 {
		return render(c, http.StatusUnprocessableEntity, views.ReadAudit(m))
	}
	after, _, err := readCursor(c, func(cur store.ReadCursor) bool { return cur.Minute > 0 })
	if err != nil {
		return err
	}
	rows, more, err := s.Store.Reads(c.Request().Context(), f, readsPerPage, after)
	if err != nil {
		return err
	}
	for _, r := range rows {
		m.Reads = append(m.Reads, views.ReadAuditRow{Minute: r.Minute, Client: readClient(r.ClientID, r.ClientName, r.KeyPrefix),
			Token: readToken(r.TokenID, r.TokenName), Outcome: readOutcome(r.Outcome), Count: r.Count})
	}
	if more {
		last := rows[len(rows)-1]
		m.NextURL = "/audit/reads" + filterQuery(c, readFilterParams, "after",
			encodeCursor(store.ReadCursor{Minute: last.Minute.Unix() / 60, ClientID: last.ClientID, TokenID: last.TokenID, Outcome: last.Outcome}))
	}
	return render(c, http.StatusOK, views.ReadAudit(m))
}

// readAuditPage is what both tabs of the read audit show around their rows.
func (s *Server) readAuditPage(c echo.Context, tab string, clients []views.Option, errs map[string]string) views.ReadAuditPage {
	m := views.ReadAuditPage{
		Page: s.page(c, "Audit Log", views.NavAudit), Tabs: auditTabs(tab), Refusals: tab == "/audit/refusals",
		Clients: clients, Token: c.QueryParam("token"), Errors: errs, Action: tab,
		Active:    c.QueryParam("client") != "" || c.QueryParam("token") != "",
		ExportURL: tab + "/export" + filterQuery(c, readFilterParams),
	}
	if c.QueryParam("after") != "" {
		m.FirstURL = tab + filterQuery(c, readFilterParams)
	}
	return m
}

// readClient names who fetched: an API client, or a key no client has.
func readClient(id int64, name, prefix string) string {
	switch {
	case id == 0 && prefix != "":
		return "Unknown key " + prefix + "…"
	case id == 0:
		return "No valid key"
	case name == "":
		return fmt.Sprintf("A deleted API client (#%d)", id)
	}
	return name + " (" + prefix + "…)"
}

func readToken(id int64, name string) string {
	switch {
	case id == 0:
		return "—"
	case name == "":
		return fmt.Sprintf("A deleted token (#%d)", id)
	}
	return name
}

// readOutcomes say, for people, how a fetch ended.
var readOutcomes = map[string]string{
	store.ReadOK:              "Served",
	"unauthorized":            "Refused: no valid key",
	store.RefusedMissingKey:   "Refused: no key sent",
	store.RefusedBadKey:       "Refused: unknown key",
	store.RefusedRevokedKey:   "Refused: revoked key",
	store.RefusedRateLimited:  "Refused: too many requests",
	store.RefusedNotPermitted: "Refused: not permitted (Permission Settings)",
	store.RefusedNotFound:     "Refused: no such token",
	"conflict":                "Refused: no usable access token",
	"retired":                 "Refused: retired by its service",
	"renewal_failed":          "Refused: renewal failing",
	"busy":                    "Refused: token changing, retry",
	"proxy_only":              "Refused: only through the proxy",
}

func readOutcome(code string) string {
	if code == engine.ReadRefreshed {
		return "Served after an app reported its token refused"
	}
	if rest, ok := strings.CutPrefix(code, engine.ProxyPrefix); ok && readOutcomes[code] == "" {
		return proxyOutcome(rest)
	}
	if rest, ok := strings.CutPrefix(code, engine.RefreshRefusedPrefix); ok {
		return "Refused a report of a refused token: " + strings.TrimPrefix(readOutcome(rest), "Refused: ")
	}
	if s, ok := readOutcomes[code]; ok {
		return s
	}
	return "Refused: " + code
}
