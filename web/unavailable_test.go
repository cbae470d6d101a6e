package web

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"
)

// While the database cannot be reached, pages and the runtime API answer
// 503 with Retry-After and say so: never a 500 page, never the driver's
// message.
func TestDatabaseOutageIs503WithRetryAfter(t *testing.T) {
	ts := newTestServer(t)
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	outages := map[string]error{
		"refused":  fmt.Errorf("store: session: %w", refused),
		"shutdown": fmt.Errorf("store: begin: %w", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}),
	}
	// Handlers failing as the store fails while PostgreSQL is down, on the
	// real router, middleware and error handler.
	for name, err := range outages {
		h := func(echo.Context) error { return err }
		ts.srv.echo.GET("/outage/"+name, h)
		ts.srv.echo.POST("/outage/"+name, h)
		ts.srv.echo.GET("/api/v1/outage/"+name, h)
	}
	for name := range outages {
		page := ts.get("/outage/" + name)
		wantStatus(t, page, http.StatusServiceUnavailable)
		if page.Header.Get("Retry-After") != "5" || !strings.Contains(page.text("[data-testid=error-message]"), "cannot reach its database") {
			t.Fatalf("%s: Retry-After %q, message %q", name, page.Header.Get("Retry-After"), page.text("[data-testid=error-message]"))
		}
		if strings.Contains(page.Body, "refused") || strings.Contains(page.Body, "administrator command") {
			t.Fatalf("%s: the driver's message reached the page", name)
		}
		post := ts.postRaw("/outage/"+name, nil)
		wantStatus(t, post, http.StatusServiceUnavailable)
		if !strings.Contains(post.text("[data-testid=error-message]"), "check whether it was saved") {
			t.Fatalf("%s: a failed save does not say to check: %q", name, post.text("[data-testid=error-message]"))
		}
		api := ts.get("/api/v1/outage/" + name)
		wantStatus(t, api, http.StatusServiceUnavailable)
		var body struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal([]byte(api.Body), &body); err != nil || body.Error.Code != "database_unavailable" || api.Header.Get("Retry-After") != "5" {
			t.Fatalf("%s: API answer %q (Retry-After %q)", name, api.Body, api.Header.Get("Retry-After"))
		}
	}
	if strings.Contains(ts.logs.String(), "level=ERROR") {
		t.Fatalf("an outage was logged as an error on every request:\n%s", ts.logs.String())
	}
	if !strings.Contains(ts.logs.String(), `reason="connection refused"`) {
		t.Fatalf("the log does not say why:\n%s", ts.logs.String())
	}
}

// /readyz says why it is not ready, and is ready again by itself.
func TestReadyzSaysWhyAndRecovers(t *testing.T) {
	ts := newTestServer(t)
	wantStatus(t, ts.get("/readyz"), http.StatusOK)
	b := ts.replica()
	b.store.Close() // this replica's database handle is gone
	r := b.get("/readyz")
	wantStatus(t, r, http.StatusServiceUnavailable)
	if !strings.HasPrefix(r.Body, "not ready: database unavailable: ") {
		t.Fatalf("readyz: %q", r.Body)
	}
	wantStatus(t, ts.get("/readyz"), http.StatusOK)
}
