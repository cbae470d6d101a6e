package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/tokendesk/tokendesk/internal/auth"
	"github.com/tokendesk/tokendesk/internal/store"
)

const (
	ctxUser    = "user"
	ctxSession = "session"
	maxBody    = "1M"
)

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

const (
	requestsHelp = "HTTP requests by route, method and status code."
	durationHelp = "HTTP request latency by route."
)

// newMetrics registers the request metrics; the runtime API's fetches are
// counted in shards (conn_shards.go) and reported in the same families.
func newMetrics(reg *prometheus.Registry, shards *connShards) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tokendesk_http_requests_total", Help: requestsHelp,
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tokendesk_http_request_duration_seconds", Help: durationHelp, Buckets: durationBuckets[:],
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration, newFetchCollector(shards))
	return m
}

func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}

// observe logs one line per request and records its metrics. The query
// string is never logged: only the route and path.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // renders the error so the status below is the real one
		}
		status := c.Response().Status
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		var user string
		if u := currentUser(c); u != nil {
			user = u.Email
		}
		s.observed(c.Request(), route, status, time.Since(start), requestID(c), user)
		return nil
	}
}

// observed records a request's metrics and logs it: for the console's
// routes through Echo (observe), for fetches also without it (api_fast.go).
func (s *Server) observed(r *http.Request, route string, status int, elapsed time.Duration, rid, user string) {
	if route == fetchRoute && r.Method == http.MethodGet {
		s.shards.of(r).fetched(status, elapsed)
		if status != http.StatusOK { // refusals are few: the vector counts them
			s.metrics.requests.WithLabelValues(r.Method, route, strconv.Itoa(status)).Inc()
		}
	} else {
		s.metrics.requests.WithLabelValues(r.Method, route, strconv.Itoa(status)).Inc()
		s.metrics.duration.WithLabelValues(r.Method, route).Observe(elapsed.Seconds())
	}
	level := slog.LevelInfo
	switch {
	case status == http.StatusServiceUnavailable:
		// Unavailable for now (the database, a provider, sign-ins all
		// busy), said with Retry-After: not a bug to page anyone for.
		level = slog.LevelWarn
	case status >= 500:
		level = slog.LevelError
	case route == fetchRoute && status == http.StatusOK, (route == proxyRoute || route == proxyRootRoute) && status < 400:
		// Each fetch (and proxied call) is in the read audit (api_reads,
		// per minute); a line per fetch would cost the hot path a write
		// per request.
		level = slog.LevelDebug
	}
	if !s.Logger.Enabled(r.Context(), level) {
		return
	}
	attrs := []any{
		"method", r.Method, "route", route, "path", r.URL.Path,
		"status", status, "duration_ms", float64(elapsed.Microseconds()) / 1000, "request_id", rid,
	}
	if user != "" {
		attrs = append(attrs, "user", user)
	}
	s.Logger.Log(r.Context(), level, "request", attrs...)
}

// Header values set on every response. They are assigned directly with
// canonical keys, and shared: the hot path allocates nothing for them.
const headerCacheControl = "Cache-Control"

var (
	cspValue      = []string{"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"}
	nosniffValue  = []string{"nosniff"}
	denyValue     = []string{"DENY"}
	apiCSPValue   = []string{"default-src 'none'; frame-ancestors 'none'"}
	sameOriginVal = []string{"same-origin"}
	noStoreValue  = []string{"no-store"}
)

// securityHeaders keeps pages out of frames and scripts to our own origin.
// The runtime API answers JSON, never a document: nosniff and no framing,
// with the shortest policy on its hot path.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h["X-Content-Type-Options"] = nosniffValue
		h["X-Frame-Options"] = denyValue
		if c.Path() != fetchRoute {
			h["Content-Security-Policy"] = cspValue
			h["Referrer-Policy"] = sameOriginVal
		} else {
			// A token's JSON is never a document to frame or run: the
			// shortest policy that says so, pre-built like the others.
			h["Content-Security-Policy"] = apiCSPValue
		}
		return next(c)
	}
}

// noStore keeps pages that may show token details out of shared caches.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header()[headerCacheControl] = noStoreValue
		return next(c)
	}
}

// requestIDs gives every request an id (kept from X-Request-Id when a
// proxy sent a sane one) in the response's X-Request-Id header, assigned
// with its canonical key: no canonicalisation on the hot path.
func requestIDs(ids *connShards) echo.MiddlewareFunc {
	return func(h echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Response().Header()[echo.HeaderXRequestID] = requestIDOf(c.Request(), ids)
			return h(c)
		}
	}
}

// requestIDOf is r's id as a header value: a proxy's sane X-Request-Id
// (its own value, not copied), or a new one.
func requestIDOf(r *http.Request, ids *connShards) []string {
	v := r.Header[echo.HeaderXRequestID] // canonical already: no Get
	if len(v) == 0 {
		return ids.newID(r)
	}
	if rid := v[0]; rid == "" || len(rid) > 64 || strings.ContainsFunc(rid, func(r rune) bool { return r < '!' || r > '~' }) {
		return ids.newID(r)
	}
	return v[:1]
}

func bodyLimit() echo.MiddlewareFunc {
	small := middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: maxBody, Skipper: func(c echo.Context) bool {
		// A proxied call's body streams to the service (200 MB uploads).
		return isImportUpload(c) || strings.HasPrefix(c.Path(), proxyPrefix)
	}})
	large := importBodyLimit()
	return func(next echo.HandlerFunc) echo.HandlerFunc { return small(large(next)) }
}

// loadSession attaches the session and, when signed in, the user.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess, err := s.sessions.Get(c.Request(), sessionCookie)
		if err != nil {
			return err
		}
		c.Set(ctxSession, sess)
		if id, ok := sess.Values[auth.UserIDKey].(int64); ok && id != 0 && isPending(sess.Values) {
			// Half signed in: the second step is due; no user yet.
			c.Set(ctxPendingID, id)
		} else if ok && id != 0 {
			u, err := s.Store.UserByID(c.Request().Context(), id)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return err
			case u.Active:
				c.Set(ctxUser, &u)
				s.ua.warm() // /sessions may be next (session_device.go)
			}
		}
		return next(c)
	}
}

func currentUser(c echo.Context) *store.User {
	u, _ := c.Get(ctxUser).(*store.User)
	return u
}

func currentSession(c echo.Context) *sessions.Session {
	s, _ := c.Get(ctxSession).(*sessions.Session)
	return s
}

// requireUser sends anonymous visitors to the login page (pages) or answers
// 401 (anything else unsafe).
func requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) != nil {
			return next(c)
		}
		if c.Request().Method == http.MethodGet {
			return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		return userError(http.StatusUnauthorized, "Sign in first: your session has ended.")
	}
}

// requireAdmin allows administrators only.
func requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return requireUser(func(c echo.Context) error {
		if !currentUser(c).IsAdmin() {
			return userError(http.StatusForbidden, "Only administrators can do this.")
		}
		return next(c)
	})
}

// flash adds a message shown on the next page and saves the session.
func (s *Server) flash(c echo.Context, msg string) {
	if sess := currentSession(c); sess != nil && currentUser(c) != nil {
		sess.AddFlash(msg)
		if err := sess.Save(c.Request(), c.Response()); err != nil {
			s.Logger.Warn("saving flash", "err", err, "request_id", requestID(c))
		}
	}
}

func (s *Server) popFlash(c echo.Context) string {
	sess := currentSession(c)
	if sess == nil || currentUser(c) == nil {
		return ""
	}
	var msgs []string
	for _, f := range sess.Flashes() {
		if m, ok := f.(string); ok {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == 0 {
		return ""
	}
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		s.Logger.Warn("saving session", "err", err, "request_id", requestID(c))
	}
	return strings.Join(msgs, " ")
}

func withTimeout(c echo.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request().Context(), d)
}
