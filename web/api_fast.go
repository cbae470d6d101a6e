package web

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/engine"
)

// A fetch (GET /api/v1/tokens/{name}) is served by net/http directly,
// in front of Echo: Echo's context, router and middleware chain were a
// good part of what a fetch cost over a bare handler (issue 20 item 4).
// It does what the middleware does for the route, no more: the request
// id, the security headers, no-store, the metrics and the log line, a
// recovered panic. Its refusals and errors go through the same code as
// Echo's (apiRefusal, handleError), so every answer is byte for byte
// what the Echo route gives; TestFastFetchAnswersAsEcho holds them
// together. Anything unusual (an escaped slash, a body) takes the Echo
// route.

const fetchPrefix = "/api/v1/tokens/"

// fetchName is the token name of a plain fetch, if r is one.
func fetchName(r *http.Request) (string, bool) {
	if r.Method != http.MethodGet || r.ContentLength != 0 || r.URL.RawPath != "" || !strings.HasPrefix(r.URL.Path, fetchPrefix) {
		return "", false
	}
	name := r.URL.Path[len(fetchPrefix):]
	if name == "" || strings.IndexByte(name, '/') >= 0 {
		return "", false
	}
	return name, true
}

// serveFetch answers a fetch as the Echo route would.
func (s *Server) serveFetch(w http.ResponseWriter, r *http.Request, name string) {
	start := time.Now()
	h := w.Header()
	rid := requestIDOf(r, s.shards)
	h[echo.HeaderXRequestID] = rid
	h["X-Content-Type-Options"] = nosniffValue
	h["X-Frame-Options"] = denyValue
	h["Content-Security-Policy"] = apiCSPValue
	h[headerCacheControl] = noStoreValue
	status := http.StatusOK
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			// As middleware.Recover: the panic becomes a 500, logged
			// with (the first 4 KB of) its stack.
			stack := debug.Stack()
			stack = stack[:min(len(stack), 4<<10)]
			status = s.fetchError(w, r, name, fmt.Errorf("[PANIC RECOVER] %v %s", p, stack))
		}
		s.observed(r, fetchRoute, status, time.Since(start), rid[0], "")
	}()
	var auth string
	if v := r.Header["Authorization"]; len(v) > 0 { // canonical as net/http reads it: no Get
		auth = v[0]
	}
	body, err := s.engine.Fetch(r.Context(), engine.Request{Authorization: auth, Name: name, Address: s.echo.IPExtractor(r)})
	if err != nil {
		status = s.fetchError(w, r, name, err)
		return
	}
	h[echo.HeaderContentType] = jsonContentType
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// fetchError answers err as the Echo route does, and says with what status.
func (s *Server) fetchError(w http.ResponseWriter, r *http.Request, name string, err error) int {
	c := s.echo.NewContext(r, w)
	c.SetPath(fetchRoute)
	c.SetParamNames("name")
	c.SetParamValues(name)
	if err := apiRefusal(c, err); err != nil {
		s.handleError(err, c)
	}
	return c.Response().Status
}
