package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// downRetry is the Retry-After of answers given while the database does
// not answer: about how long a PostgreSQL restart or fail-over takes.
const downRetry = 5 * time.Second

// databaseDown answers a request that failed because the database cannot
// be reached: 503 with Retry-After and a message that says so, for pages
// and the runtime API alike, never a 500. The cause is logged as a
// warning: an outage is not a bug, and every request during one would
// otherwise log an error.
func (s *Server) databaseDown(err error, c echo.Context) {
	s.Logger.WarnContext(c.Request().Context(), "database unavailable",
		"reason", store.UnavailableReason(err), "method", c.Request().Method, "route", c.Path(), "request_id", requestID(c))
	h := c.Response().Header()
	h.Set("Retry-After", strconv.Itoa(int(downRetry.Seconds())))
	const status = http.StatusServiceUnavailable
	msg := "tokendesk cannot reach its database right now. Try again in a few seconds."
	if c.Request().Method != http.MethodGet && c.Request().Method != http.MethodHead {
		msg += " If you were saving something, check whether it was saved once the page loads again."
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") {
		writeAPIError(c, status, "database_unavailable", msg)
		return
	}
	// The page needs no database: no user, no flash (they need the
	// session, which is in the database).
	page := views.Page{Title: "Database unavailable", CSRF: csrfOf(c)}
	if rerr := render(c, status, views.Error(views.ErrorPage{Page: page, Status: status, Heading: "Database unavailable", Message: msg})); rerr != nil {
		c.String(status, msg)
	}
}
