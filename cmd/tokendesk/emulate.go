package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider/redox/redoxtest"
	"github.com/tokendesk/tokendesk/internal/provider/zoom/zoomtest"
)

// Demo credentials the emulators accept. They reach nothing real.
const (
	demoRedoxKey         = "demo-redox-api-key"
	demoRedoxSecret      = "demo-redox-secret"
	demoRedoxClient      = "demo-redox-client-id"
	demoRedoxKeyID       = "demo-redox-kid"
	demoRedoxShared      = "demo-redox-shared-secret"
	demoZoomKey          = "demo-zoom-api-key"
	demoZoomSecret       = "demo-zoom-api-secret"
	demoZoomAccount      = "demo-zoom-account"
	demoZoomClient       = "demo-zoom-client-id"
	demoZoomClientSecret = "demo-zoom-client-secret"
)

// emulate serves the Redox and Zoom emulators on one loopback port, so the
// console can be pointed at them on a machine that cannot reach the real
// services.
func emulate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tokendesk emulate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", "127.0.0.1:9090", "address to serve the emulators on")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("emulate: %w", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("emulate: cannot listen on %s: %w", *addr, err)
	}
	base := "http://" + ln.Addr().String()

	redox := redoxtest.New().AddKey(demoRedoxKey, demoRedoxSecret).
		AddOAuthKey(demoRedoxClient, demoRedoxKeyID, []byte(demoRedoxShared))
	redox.SetBaseURL(base)
	zoom := zoomtest.New().
		AddAccount(zoomtest.User{ID: "demo-user", FirstName: "Demo", LastName: "Admin", Email: "demo.admin@zoom.example", AccountID: demoZoomAccount}).
		AddJWTApp(demoZoomAccount, demoZoomKey, demoZoomSecret).
		AddS2SApp(demoZoomAccount, demoZoomClient, demoZoomClientSecret)
	zoom.SetBaseURL(base)
	defer redox.Close()
	defer zoom.Close()

	mux := http.NewServeMux()
	mux.Handle("/auth/", redox)
	mux.Handle("/v2/auth/token", redox)
	mux.Handle("/dashboard/", redox)
	mux.Handle("/endpoint", redox)
	mux.Handle("/query", redox)
	mux.Handle("/oauth/token", zoom)
	mux.Handle("/v2/", zoom)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	fmt.Fprintf(stdout, `Redox and Zoom emulators on %[1]s

  Redox                          API Key %[2]s   Secret %[3]s
  Redox (OAuth 2.0)              Client ID %[9]s   Key ID %[10]s   Signing Method HS384, Shared Secret %[11]s
                                 With an RS384/ES384 key pair, any Client ID: register the token's JWKS URL (shown on its page)
                                 at %[1]s/dashboard/jwks, as in the Redox dashboard; until then Redox answers "Public key not found".
  Zoom (Server-to-Server OAuth)  Account ID %[6]s   Client ID %[7]s   Client Secret %[8]s
  Zoom (JWT app)                 API Key %[4]s   API Secret %[5]s
                                 (refused with code 124, as real Zoom has refused every JWT app since 2023)

Point tokendesk at them:
  TOKENDESK_REDOX_URL=%[1]s TOKENDESK_ZOOM_API_URL=%[1]s TOKENDESK_ZOOM_OAUTH_URL=%[1]s tokendesk serve
`, base, demoRedoxKey, demoRedoxSecret, demoZoomKey, demoZoomSecret, demoZoomAccount, demoZoomClient, demoZoomClientSecret,
		demoRedoxClient, demoRedoxKeyID, demoRedoxShared)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
