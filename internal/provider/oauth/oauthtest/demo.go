package oauthtest

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
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

// The demo's app at every catalogue vendor.
const (
	DemoCatalogueClientID     = "demo-catalogue-client"
	DemoCatalogueClientSecret = "demo-catalogue-secret"
)

// Emulator is the OAuth 2.0 emulator as the registry lists it: the
// generic authorization server under /oauth2 (beside Zoom's /oauth/
// paths; the OAuth 2.0 form's URLs are typed, so it serves no configured
// address), and every vendor of the catalogue (Vendors) under
// /vendors/{row}/, which the oauth_vendors base URL
// (TOKENDESK_OAUTH_VENDORS_URL, or TOKENDESK_EMULATOR_URL) points the
// catalogue's rows at.
var Emulator = provider.Emulator{
	Name:   "OAuth 2.0",
	Serves: []string{"oauth_vendors"},
	Paths:  []string{"/oauth2/", "/vendors/"},
	Demo: func(base, redirectURI string) provider.Demo {
		mux := http.NewServeMux()
		generic := genericDemo(base+"/oauth2", redirectURI)
		mux.Handle("/oauth2/", http.StripPrefix("/oauth2", generic.Handler))
		vendors := mountVendors(mux, base, redirectURI)
		return provider.Demo{Handler: mux, Help: generic.Help + "\n" + vendors.summary(),
			Close: func() {
				generic.Close()
				for _, s := range vendors {
					s.Close()
				}
			}}
	},
}

// genericDemo is the generic authorization server with the demo clients.
func genericDemo(base, redirectURI string) provider.Demo {
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
}

// demoVendors are the catalogue's vendors, one server each.
type demoVendors []*Server

// VendorSlug is a row's part of the paths: its provider ID without the
// oauth2- prefix, as the oauth package's VendorSlug makes it (which this
// package cannot import: the oauth package's tests import this one).
func VendorSlug(id string) string { return strings.TrimPrefix(id, "oauth2-") }

// mountVendors serves every vendor of Vendors under /vendors/{row}/ with
// the demo app registered as the vendor wants it authenticated, showing
// its consent page.
func mountVendors(mux *http.ServeMux, base, redirectURI string) demoVendors {
	var out demoVendors
	for _, id := range slices.Sorted(maps.Keys(Vendors)) {
		v := Vendors[id]
		opts := v.Options()
		opts.AutoApprove = false
		s := New(opts)
		method := v.AuthMethod
		if method == "" {
			method = ClientSecretBasic
		}
		s.AddClient(Client{ID: DemoCatalogueClientID, Secret: DemoCatalogueClientSecret, Name: "tokendesk demo (" + v.Name + ")",
			RedirectURIs: []string{redirectURI}, AuthMethod: method})
		prefix := "/vendors/" + VendorSlug(id)
		s.SetBaseURL(base + prefix)
		mux.Handle(prefix+"/", http.StripPrefix(prefix, s))
		out = append(out, s)
	}
	return out
}

// summary is what emulate prints about them.
func (d demoVendors) summary() string {
	var names []string
	for _, id := range slices.Sorted(maps.Keys(Vendors)) {
		if id != "oauth2-zoom-user" {
			names = append(names, Vendors[id].Name)
		}
	}
	return fmt.Sprintf(`The OAuth catalogue (%d services: %s)
                               Client ID %s   Client Secret %s, the form's URLs as they come
                               (TOKENDESK_OAUTH_VENDORS_URL, or TOKENDESK_EMULATOR_URL, sends every vendor host here;
                               type any subdomain, shop or instance)`,
		len(names), strings.Join(names, ", "), DemoCatalogueClientID, DemoCatalogueClientSecret)
}
