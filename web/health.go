package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
)

func (s *Server) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

// readyz answers 200 only when the database answers now: a load balancer
// stops sending requests to a replica that cannot reach it, and sends
// them again as soon as it can (nothing here remembers a failure). The
// reason is given in a few words, never the database's address.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := withTimeout(c, 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		reason := store.UnavailableReason(err)
		if reason == "" {
			reason = "the database answered with an error (see the log)"
		}
		s.Logger.Warn("readiness check failed", "reason", reason, "err", err)
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(downRetry.Seconds())))
		return c.String(http.StatusServiceUnavailable, "not ready: database unavailable: "+reason+"\n")
	}
	return c.String(http.StatusOK, "ready\n")
}
