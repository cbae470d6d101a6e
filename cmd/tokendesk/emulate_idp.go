package main

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/tokendesk/tokendesk/internal/oidctest"
)

// The emulated identity provider's demo app and people: Settings → Single
// sign-on takes these (see the README's Single sign-on).
const (
	idpPrefix       = "/oidc"
	demoIdPClient   = "tokendesk-demo"
	demoIdPSecret   = "demo-sso-secret"
	demoAdminGroup  = "tokendesk-admins"
	demoDesignGroup = "billing-designers"
)

// mountIdentityProvider serves an OpenID Connect identity provider under
// /oidc for single sign-on, its demo client registered for the console's
// Redirect URI. It is not a token provider, so it is mounted here rather
// than declared among the providers' emulators.
func mountIdentityProvider(mux *http.ServeMux, base, console string) string {
	idp := oidctest.New()
	idp.SetBaseURL(base + idpPrefix)
	idp.AddClient(oidctest.Client{ID: demoIdPClient, Secret: demoIdPSecret, RedirectURIs: []string{strings.TrimSuffix(console, "/") + "/login/sso/callback"}})
	idp.AddUser(oidctest.User{Subject: "demo-admin", Email: "admin@example.com", Name: "Demo Admin", Groups: []string{demoAdminGroup}})
	idp.AddUser(oidctest.User{Subject: "demo-designer", Email: "designer@example.com", Name: "Demo Designer", Groups: []string{demoDesignGroup}})
	idp.AddUser(oidctest.User{Subject: "demo-outsider", Email: "outsider@example.com", Name: "Demo Outsider"})
	mux.Handle(idpPrefix+"/", http.StripPrefix(idpPrefix, idp))
	return fmt.Sprintf("OpenID Connect identity provider (Settings → Single sign-on): Issuer URL %s, Client ID %s, Client Secret %s;\n"+
		"  people: admin@example.com (group %s), designer@example.com (group %s), outsider@example.com (no group)\n",
		base+idpPrefix, demoIdPClient, demoIdPSecret, demoAdminGroup, demoDesignGroup)
}
