package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
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
	demoZoomUserClient   = "demo-zoom-user-client-id"
	demoZoomUserSecret   = "demo-zoom-user-client-secret"
	demoOAuthClient      = "demo-oauth-client-id"
	demoOAuthSecret      = "demo-oauth-client-secret"
	demoOAuthPostClient  = "demo-oauth-post-client-id"
	demoOAuthPostSecret  = "demo-oauth-post-client-secret"
	demoOAuthJWTClient   = "demo-oauth-jwt-client-id"
	// oauthPrefix is where the generic OAuth 2.0 authorization server is
	// served, beside Zoom's own /oauth/ paths.
	oauthPrefix = "/oauth2"
	// consoleCallback is the console's fixed OAuth 2.0 redirect path.
	consoleCallback = "/oauth/callback"
	// demoRefreshTTL is the demo authorization server's refresh token
	// lifetime (Box's), so the console has an end of the grant to show.
	demoRefreshTTL = 60 * 24 * time.Hour
)

// emulate serves the Redox, Zoom and OAuth 2.0 emulators on one loopback
// port, so the console can be pointed at them on a machine that cannot
// reach the real services.
func emulate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tokendesk emulate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", "127.0.0.1:9090", "address to serve the emulators on")
	console := fs.String("console-url", "http://127.0.0.1:8080", "the console's base URL: the demo OAuth apps redirect to its "+consoleCallback)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("emulate: %w", err)
	}
	if u, err := url.Parse(*console); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("emulate: --console-url must be an http(s) URL such as http://127.0.0.1:8080, not %q", *console)
	}
	redirectURI := strings.TrimSuffix(*console, "/") + consoleCallback
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
		AddS2SApp(demoZoomAccount, demoZoomClient, demoZoomClientSecret).
		AddUserApp(demoZoomAccount, demoZoomUserClient, demoZoomUserSecret, redirectURI)
	zoom.SetBaseURL(base)
	oauth := oauthtest.New(oauthtest.Options{RefreshTTL: demoRefreshTTL}).
		AddClient(oauthtest.Client{ID: demoOAuthClient, Secret: demoOAuthSecret, Name: "tokendesk demo (HTTP Basic)",
			RedirectURIs: []string{redirectURI}, AuthMethod: oauthtest.ClientSecretBasic, ClientCredentials: true}).
		AddClient(oauthtest.Client{ID: demoOAuthPostClient, Secret: demoOAuthPostSecret, Name: "tokendesk demo (secret in the request body)",
			RedirectURIs: []string{redirectURI}, AuthMethod: oauthtest.ClientSecretPost, ClientCredentials: true}).
		AddClient(oauthtest.Client{ID: demoOAuthJWTClient, Name: "tokendesk demo (Signed JWT)",
			RedirectURIs: []string{redirectURI}, AuthMethod: oauthtest.PrivateKeyJWT, ClientCredentials: true})
	oauth.SetBaseURL(base + oauthPrefix)
	defer redox.Close()
	defer zoom.Close()
	defer oauth.Close()

	mux := http.NewServeMux()
	mux.Handle("/auth/", redox)
	mux.Handle("/v2/auth/token", redox)
	mux.Handle("/dashboard/", redox)
	mux.Handle("/endpoint", redox)
	mux.Handle("/query", redox)
	mux.Handle("/oauth/token", zoom)
	mux.Handle("/oauth/authorize", zoom)
	mux.Handle(oauthPrefix+"/", http.StripPrefix(oauthPrefix, oauth))
	mux.Handle("/v2/", zoom)
	vendors := mountVendors(mux, base, redirectURI)
	defer vendors.Close()
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	fmt.Fprintf(stdout, `Redox and Zoom emulators on %[1]s

  Redox                          API Key %[2]s   Secret %[3]s
  Redox (OAuth 2.0)              Client ID %[9]s   Key ID %[10]s   Signing Method HS384, Shared Secret %[11]s
                                 With an RS384/ES384 key pair, any Client ID: register the token's JWKS URL (shown on its page)
                                 at %[1]s/dashboard/jwks, as in the Redox dashboard; until then Redox answers "Public key not found".
  Zoom (Server-to-Server OAuth)  Account ID %[6]s   Client ID %[7]s   Client Secret %[8]s
  Zoom (JWT app)                 API Key %[4]s   API Secret %[5]s
                                 (refused with code 124, as real Zoom has refused every JWT app since 2023)

  Zoom user OAuth                Client ID %[12]s   Client Secret %[13]s
                                 Authorization URL %[1]s/oauth/authorize   Token URL %[1]s/oauth/token
                                 (or the preset's zoom.us URLs as they come: TOKENDESK_ZOOM_OAUTH_URL sends them here;
                                 Test Connection names the Zoom user reached, through %[1]s/v2/users/me)
  OAuth 2.0                      Authorization URL %[14]s   Token URL %[15]s   Test URL %[16]s
                                 HTTP Basic:               Client ID %[17]s   Client Secret %[18]s
                                 In the request body:      Client ID %[19]s   Client Secret %[20]s
                                 Signed JWT:               Client ID %[23]s   then register the token's JWKS URL
                                                           (shown on its page) at %[24]s
                                 All may also use Client Credentials; any scope is allowed. Refresh tokens are
                                 single use (each renewal gets a new one) and last %[21]d days.
  Redirect URI registered for the OAuth 2.0 and Zoom user OAuth apps: %[22]s

%[25]s
Point tokendesk at them:
  TOKENDESK_REDOX_URL=%[1]s TOKENDESK_ZOOM_API_URL=%[1]s TOKENDESK_ZOOM_OAUTH_URL=%[1]s TOKENDESK_OAUTH_VENDORS_URL=%[1]s tokendesk serve
`, base, demoRedoxKey, demoRedoxSecret, demoZoomKey, demoZoomSecret, demoZoomAccount, demoZoomClient, demoZoomClientSecret,
		demoRedoxClient, demoRedoxKeyID, demoRedoxShared, demoZoomUserClient, demoZoomUserSecret,
		oauth.AuthURL(), oauth.TokenURL(), oauth.UserinfoURL(), demoOAuthClient, demoOAuthSecret, demoOAuthPostClient, demoOAuthPostSecret,
		int(demoRefreshTTL/(24*time.Hour)), redirectURI, demoOAuthJWTClient, base+oauthPrefix+"/dashboard/jwks", vendors.Summary())

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
