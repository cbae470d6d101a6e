package main

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/tokendesk/tokendesk/internal/provider/oauth"
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
)

// The demo's app at every catalogue vendor.
const (
	demoCatalogueClient = "demo-catalogue-client"
	demoCatalogueSecret = "demo-catalogue-secret"
)

// demoVendors are the catalogue's vendors played by the OAuth 2.0
// emulator, one each under /vendors/{row}/ (TOKENDESK_OAUTH_VENDORS_URL
// sends the rows there).
type demoVendors []*oauthtest.Server

// mountVendors serves every vendor of oauthtest.Vendors with the demo app
// registered as the vendor wants it authenticated, showing its consent page.
func mountVendors(mux *http.ServeMux, base, redirectURI string) demoVendors {
	ids := make([]string, 0, len(oauthtest.Vendors))
	for id := range oauthtest.Vendors {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out demoVendors
	for _, id := range ids {
		v := oauthtest.Vendors[id]
		opts := v.Options()
		opts.AutoApprove = false
		s := oauthtest.New(opts)
		method := v.AuthMethod
		if method == "" {
			method = oauthtest.ClientSecretBasic
		}
		s.AddClient(oauthtest.Client{ID: demoCatalogueClient, Secret: demoCatalogueSecret, Name: "tokendesk demo (" + v.Name + ")",
			RedirectURIs: []string{redirectURI}, AuthMethod: method})
		prefix := "/vendors/" + oauth.VendorSlug(id)
		s.SetBaseURL(base + prefix)
		mux.Handle(prefix+"/", http.StripPrefix(prefix, s))
		out = append(out, s)
	}
	return out
}

func (d demoVendors) Close() {
	for _, s := range d {
		s.Close()
	}
}

// Summary is what emulate prints about them.
func (d demoVendors) Summary() string {
	var names []string
	for _, ps := range oauth.Presets {
		if _, ok := oauthtest.Vendors[ps.ID]; ok && ps.ID != "oauth2-zoom-user" {
			names = append(names, ps.Name)
		}
	}
	return fmt.Sprintf(`  The OAuth catalogue (%d services: %s)
                                 Client ID %s   Client Secret %s, the form's URLs as they come
                                 (TOKENDESK_OAUTH_VENDORS_URL sends every vendor host here; type any subdomain, shop or instance)
`, len(names), strings.Join(names, ", "), demoCatalogueClient, demoCatalogueSecret)
}
