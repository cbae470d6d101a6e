package web

import (
	"context"
	"embed"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/engine"
)

// The runtime API is internal/engine: these handlers only adapt it to
// HTTP (the request's key, name and address in; the answer, or the
// refusal with its headers, out).

// FlushUsage writes the usage counted since the last flush (the read
// audit, App Associations, clients' last use) and the refused fetches.
func (s *Server) FlushUsage(ctx context.Context) error { return s.engine.FlushUsage(ctx) }

// FlushRefusals writes the refused fetches counted since the last flush.
func (s *Server) FlushRefusals(ctx context.Context) error { return s.engine.FlushRefusals(ctx) }

// Heartbeat tells the other replicas this one is alive and takes this
// replica's share of the API rate limit from how many are.
func (s *Server) Heartbeat(ctx context.Context) error { return s.engine.Heartbeat(ctx) }

// RunBackground flushes usage every few seconds until ctx ends, then once
// more, and keeps the runtime API's index current with other processes'
// writes.
func (s *Server) RunBackground(ctx context.Context) {
	go s.index.Run(ctx, s.Logger)
	go s.runRetention(ctx)
	left := make(chan struct{})
	go func() { s.engine.RunHeartbeat(ctx); close(left) }()
	defer func() { <-left }() // leave the replicas before the store closes
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := s.FlushUsage(ctx); err != nil {
				s.Logger.Warn("recording API usage", "err", err)
			}
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := s.FlushUsage(fctx); err != nil {
				s.Logger.Warn("recording API usage", "err", err)
			}
			cancel()
			return
		}
	}
}

var jsonContentType = []string{echo.MIMEApplicationJSON}

// apiRequest is what the engine needs of an API request.
func apiRequest(c echo.Context) engine.Request {
	return engine.Request{Authorization: c.Request().Header.Get("Authorization"), Name: c.Param("name"), Address: c.RealIP()}
}

// fetchToken is GET /api/v1/tokens/{name}: engine.Fetch.
func (s *Server) fetchToken(c echo.Context) error {
	w := c.Response()
	w.Header()[headerCacheControl] = noStoreValue
	body, err := s.engine.Fetch(c.Request().Context(), apiRequest(c))
	if err != nil {
		return apiRefusal(c, err)
	}
	w.Header()[echo.HeaderContentType] = jsonContentType
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}

// apiRefusal answers an engine's refusal as JSON, with its headers;
// anything else (the database away) goes to the error handler.
func apiRefusal(c echo.Context, err error) error {
	var ref *engine.Refusal
	if !errors.As(err, &ref) {
		return err
	}
	h := c.Response().Header()
	if ref.WWWAuthenticate != "" {
		h.Set("WWW-Authenticate", ref.WWWAuthenticate)
	}
	if ra := ref.RetryAfter(); ra != "" {
		h.Set("Retry-After", ra)
	}
	return c.Blob(ref.Status, echo.MIMEApplicationJSON, ref.Body())
}

// truncateRunes shortens s to n runes and an ellipsis.
func truncateRunes(s string, n int) string { return engine.TruncateRunes(s, n) }

//go:embed openapi.json
var openAPIDoc embed.FS

func (s *Server) openAPI(c echo.Context) error {
	b, err := openAPIDoc.ReadFile("openapi.json")
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/json", b)
}
