package oauthtest

import (
	"fmt"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// Demo clients the emulator knows in `tokendesk emulate`. They reach
// nothing real.
const (
	DemoClientID         = "demo-oauth-client-id"
	DemoClientSecret     = "demo-oauth-client-secret"
	DemoPostClientID     = "demo-oauth-post-client-id"
	DemoPostClientSecret = "demo-oauth-post-client-secret"
	DemoJWTClientID      = "demo-oauth-jwt-client-id"
	// DemoRefreshTTL is the demo's refresh token lifetime (Box's), so the
	// console has an end of the grant to show.
	DemoRefreshTTL = 60 * 24 * time.Hour
)

// Emulator is the generic OAuth 2.0 authorization server, as the registry
// lists it: the OAuth 2.0 form's URLs are typed, so it serves no
// configured address; it lives under /oauth2 beside Zoom's /oauth/ paths.
var Emulator = provider.Emulator{
	Name:   "OAuth 2.0",
	Prefix: "/oauth2",
	Demo: func(base, redirectURI string) provider.Demo {
		s := New(Options{RefreshTTL: DemoRefreshTTL}).
			AddClient(Client{ID: DemoClientID, Secret: DemoClientSecret, Name: "tokendesk demo (HTTP Basic)",
				RedirectURIs: []string{redirectURI}, AuthMethod: ClientSecretBasic, ClientCredentials: true}).
			AddClient(Client{ID: DemoPostClientID, Secret: DemoPostClientSecret, Name: "tokendesk demo (secret in the request body)",
				RedirectURIs: []string{redirectURI}, AuthMethod: ClientSecretPost, ClientCredentials: true}).
			AddClient(Client{ID: DemoJWTClientID, Name: "tokendesk demo (Signed JWT)",
				RedirectURIs: []string{redirectURI}, AuthMethod: PrivateKeyJWT, ClientCredentials: true})
		s.SetBaseURL(base)
		return provider.Demo{Handler: s, Close: s.Close, Help: fmt.Sprintf(
			`OAuth 2.0                      Authorization URL %[1]s   Token URL %[2]s   Test URL %[3]s
                               HTTP Basic:               Client ID %[4]s   Client Secret %[5]s
                               In the request body:      Client ID %[6]s   Client Secret %[7]s
                               Signed JWT:               Client ID %[8]s   then register the token's JWKS URL
                                                         (shown on its page) at %[9]s
                               All may also use Client Credentials; any scope is allowed. Refresh tokens are
                               single use (each renewal gets a new one) and last %[10]d days.`,
			s.AuthURL(), s.TokenURL(), s.UserinfoURL(), DemoClientID, DemoClientSecret, DemoPostClientID, DemoPostClientSecret,
			DemoJWTClientID, base+"/dashboard/jwks", int(DemoRefreshTTL/(24*time.Hour)))}
	},
}
