// Package web is tokendesk's HTTP server: one route table (routes.go), thin
// handlers in one file per action, and the middleware around them. Echo is
// used only inside this package.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/tokendesk/tokendesk/internal/auth"
	"github.com/tokendesk/tokendesk/internal/config"
	"github.com/tokendesk/tokendesk/internal/engine"
	"github.com/tokendesk/tokendesk/internal/index"
	"github.com/tokendesk/tokendesk/internal/secret"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// Session lifetimes.
const (
	// SessionIdle ends sessions not used for this long.
	SessionIdle     = 2 * time.Hour
	sessionAbsolute = 7 * 24 * time.Hour
	sessionCookie   = "tokendesk_session"
)

// Deps is everything the server needs; cmd builds it.
type Deps struct {
	Config config.Config
	Store  *store.Store
	Box    *secret.Box
	Logger *slog.Logger
	// Now is the clock (time.Now unless a test injects one).
	Now    func() time.Time
	Hasher auth.Hasher
	// Setup guards /setup while no user exists; nil disables /setup.
	Setup *SetupCode
	// HTTPClient calls providers; nil means NewProviderClient's.
	HTTPClient *http.Client
	// Registry receives the server's metrics; nil means a private registry.
	Registry *prometheus.Registry
	// Renewer is the background renewal worker ("Renew now"); nil disables it.
	Renewer Renewer
	// Notifier delivers webhooks (Send test event); nil only queues them.
	Notifier Notifier
	// Mailer sends invitations (TOKENDESK_SMTP_URL); nil shows the
	// administrator the link to pass on instead.
	Mailer Mailer
}

// Mailer sends one e-mail; notify.SMTPMailer implements it.
type Mailer interface {
	Send(ctx context.Context, to []string, subject, body string) error
}

// Renewer renews tokens on request; *renewal.Worker implements it.
type Renewer interface {
	RenewNow(ctx context.Context, id int64) error
	Wake()
}

// Server is the console and the API.
type Server struct {
	Deps
	echo     *echo.Echo
	sessions *auth.SessionStore
	throttle *auth.Throttle
	csrfKey  []byte
	metrics  *metrics
	// engine is the runtime API; index is its memory.
	engine *engine.Engine
	index  *index.Index
	// signIns holds a slot per password comparison running (signInSlot).
	signIns    chan struct{}
	signInWait time.Duration
	// replicaID names this process among those sharing the database.
	replicaID string
	transfer  transferState
	// shards number requests (requestIDs) and count fetches, per
	// connection (conn_shards.go).
	shards *connShards
	// proxy forwards apps' calls with a token (api_proxy.go).
	proxy *httputil.ReverseProxy
	// ua holds the User-Agent parser while the console is in use
	// (session_device.go).
	ua *uaParsers
}

// New builds the server and its routes.
func New(d Deps) *Server {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Hasher.Cost == 0 {
		d.Hasher = auth.DefaultHasher
	}
	if d.HTTPClient == nil {
		d.HTTPClient = NewProviderClient(d.Config, d.Store)
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	shards := newConnShards()
	s := &Server{
		Deps: d,
		sessions: &auth.SessionStore{
			Backend: d.Store,
			Options: sessions.Options{
				Path:     "/",
				HttpOnly: true,
				Secure:   d.Config.SecureCookies(),
				SameSite: http.SameSiteLaxMode,
				// No MaxAge: a browser session cookie; the server ends it.
			},
			Idle:     SessionIdle,
			Absolute: sessionAbsolute,
			Now:      d.Now,
		},
		throttle:   auth.NewThrottle(d.Store, d.Now),
		csrfKey:    d.Box.DeriveKey("csrf"),
		metrics:    newMetrics(d.Registry, shards),
		signIns:    make(chan struct{}, max(2, runtime.GOMAXPROCS(0))),
		signInWait: 2 * time.Second,
		replicaID:  engine.NewReplicaID(),
		shards:     shards,
		transfer:   newTransferState(),
		ua:         sharedUA,
	}
	s.engine = engine.New(engine.Config{Store: d.Store, Logger: d.Logger, Now: d.Now, RateLimit: d.Config.APIRateLimit,
		ReplicaID: s.replicaID, RenewTimeout: actionTimeout, ProviderURLs: d.Config.ProviderURLs, Renewer: func() engine.Renewer {
			if s.Renewer == nil {
				return nil
			}
			return s.Renewer
		}})
	s.index = s.engine.Index
	s.proxy = s.newProxy()
	d.Hasher.Prepare()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = ipExtractor(d.Config.TrustedProxies)
	s.sessions.ClientIP = e.IPExtractor
	s.echo = e
	s.routes()
	return s
}

// ipExtractor is how c.RealIP() finds the client's address, which sign-in
// throttling and logs use. X-Forwarded-For is believed only from the
// configured proxies (none by default), walking it from the nearest hop;
// anyone else could forge it to dodge the per-address limit.
func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if name, ok := fetchName(r); ok {
		s.serveFetch(w, r, name) // the runtime API's hot path, without Echo (api_fast.go)
		return
	}
	s.echo.ServeHTTP(w, r)
}

// Routes lists every registered route (method and path), for tests.
func (s *Server) Routes() []RouteInfo {
	var out []RouteInfo
	for _, r := range s.echo.Routes() {
		// Echo lists its per-group not-found handlers too; they are not routes.
		if r.Method == "echo_route_not_found" {
			continue
		}
		out = append(out, RouteInfo{Method: r.Method, Path: r.Path})
	}
	return out
}

// RouteInfo is one route.
type RouteInfo struct{ Method, Path string }

// render writes a full component into a buffer first, so a failed render
// never sends half a page.
func render(c echo.Context, status int, comp templ.Component) error {
	var buf strings.Builder
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return fmt.Errorf("rendering: %w", err)
	}
	return c.HTMLBlob(status, []byte(buf.String()))
}

// userError is an error whose message may be shown to the person.
func userError(status int, msg string) error { return echo.NewHTTPError(status, msg) }

// handleError is the one place errors become responses. Internal errors are
// logged with the request id and shown as a generic page: err.Error() never
// reaches a user.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if store.Unavailable(err) {
		s.databaseDown(err, c)
		return
	}
	status := http.StatusInternalServerError
	msg := "Something went wrong on our side. It has been logged; please try again."
	heading := "Something went wrong"
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code < 500 {
		status = he.Code
		msg = fmt.Sprint(he.Message)
		switch status {
		case http.StatusNotFound:
			heading = "Not found"
			if errors.Is(err, echo.ErrNotFound) {
				msg = "There is no page at this address."
			}
		case http.StatusMethodNotAllowed:
			heading, msg = "Not allowed", "This address does not accept that kind of request."
		case http.StatusForbidden:
			heading = "Not allowed"
		case http.StatusRequestEntityTooLarge:
			heading, msg = "Too large", "The submitted form is too large."
		default:
			heading = "That did not work"
		}
	} else {
		s.Logger.ErrorContext(c.Request().Context(), "request failed",
			"err", err, "method", c.Request().Method, "route", c.Path(), "request_id", requestID(c))
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") {
		writeAPIError(c, status, apiCode(status), apiMessage(status, msg))
		return
	}
	page := s.page(c, heading, "")
	if rerr := render(c, status, views.Error(views.ErrorPage{Page: page, Status: status, Heading: heading, Message: msg})); rerr != nil {
		s.Logger.Error("rendering error page", "err", rerr)
		c.String(status, msg)
	}
}

func apiCode(status int) string { return engine.Code(status) }

// SetupCode is the one-time code that guards /setup while no user exists.
type SetupCode struct {
	mu   sync.Mutex
	code string
}

// NewSetupCode holds code until it is used.
func NewSetupCode(code string) *SetupCode { return &SetupCode{code: normalizeCode(code)} }

// Use reports whether code is the setup code; a correct code is used up.
func (sc *SetupCode) Use(code string) bool {
	if sc == nil {
		return false
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.code == "" || !constantTimeEqual(sc.code, normalizeCode(code)) {
		return false
	}
	sc.code = ""
	return true
}

// End closes setup for good.
func (sc *SetupCode) End() {
	if sc == nil {
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.code = ""
}

// Active reports whether setup is still possible.
func (sc *SetupCode) Active() bool {
	if sc == nil {
		return false
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.code != ""
}

func normalizeCode(s string) string {
	return strings.NewReplacer(" ", "", "-", "").Replace(strings.ToUpper(strings.TrimSpace(s)))
}
