package web

import (
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/labstack/echo/v4"
)

// A one-time hand-over (a new API key, a new webhook secret) carries a
// random id in its sealed cookie. Deleting the cookie as the page shows it
// does not stop a copy of the cookie from being replayed until it expires;
// spending the id in the database does, on every replica.

func newOnceID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// spendOnce reports whether the hand-over with id, good until expires (Unix
// seconds), is shown for the first time. A hand-over without an id (a
// cookie from before ids) or that the database cannot record is not shown.
func (s *Server) spendOnce(c echo.Context, id string, expires int64) bool {
	if id == "" {
		return false
	}
	first, err := s.Store.UseOnce(c.Request().Context(), stateHash("once/"+id), time.Unix(expires, 0), s.Now())
	if err != nil {
		s.Logger.Error("recording a one-time hand-over", "err", err, "request_id", requestID(c))
		return false
	}
	return first
}
