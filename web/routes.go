package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tokendesk/tokendesk/static"
)

// routes is the site map: every route tokendesk answers, in one table.
func (s *Server) routes() {
	e := s.echo
	e.Pre(requestIDs(s.shards))
	e.Use(s.observe, middleware.Recover(), securityHeaders, bodyLimit())

	// Operations and assets: no session, no CSRF.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{})))
	e.GET(static.Prefix+"*", echo.WrapHandler(static.Handler()))
	e.GET("/jwks/:id", s.showJWKS) // a token's public keys, for the provider to fetch

	// The runtime API: API client keys, no sessions, JSON errors.
	api := e.Group("/api/v1")
	api.GET("/openapi.json", s.openAPI)
	api.GET(fetchRoute[len("/api/v1"):], s.fetchToken)
	api.POST(refreshRoute[len("/api/v1"):], s.refreshToken)
	for _, m := range proxyMethods {
		api.Add(m, proxyRootRoute[len("/api/v1"):], s.proxyToken)
		api.Add(m, proxyRoute[len("/api/v1"):], s.proxyToken)
	}
	// Anything else under /api/ answers the API's JSON 404 or 405, never
	// the console's login redirect.
	e.RouteNotFound("/api", s.apiNoRoute)
	e.RouteNotFound("/api/*", s.apiNoRoute)

	// The console: sessions, CSRF on every unsafe request, never cached.
	ui := e.Group("", noStore, s.loadSession, s.csrf, s.accountGate)
	ui.GET("/", s.home)
	ui.GET("/login", s.showLogin)
	ui.POST("/login", s.checkLogin)
	ui.GET("/login/sso", s.startSSO)
	ui.GET(ssoCallbackPath, s.ssoCallback)             // the Redirect URI registered with the identity provider
	ui.GET("/login/second-factor", s.showSecondFactor) // half signed in: the password passed
	ui.POST("/login/second-factor", s.checkSecondFactor)
	ui.POST("/login/passkey/options", s.loginPasskeyOptions) // JSON, for the page's script
	ui.POST("/login/passkey", s.checkLoginPasskey)
	ui.GET("/invitation", s.showInvitation) // the invitation's secret is in the query, never logged
	ui.POST("/invitation", s.acceptInvitation)
	ui.GET("/account", s.showAccount, requireUser)
	ui.POST("/account/password", s.changeOwnPassword, requireUser)
	ui.POST("/account/totp", s.newTOTP, requireUser)
	ui.POST("/account/totp/confirm", s.confirmTOTP, requireUser)
	ui.POST("/account/recovery-codes", s.newRecoveryCodes, requireUser)
	ui.POST("/account/factors/:id/remove", s.removeFactor, requireUser)
	ui.POST("/account/passkeys/options", s.passkeyOptions, requireUser) // JSON, for the page's script
	ui.POST("/account/passkeys", s.addPasskey, requireUser)
	ui.POST("/logout", s.logout, requireUser)
	ui.GET("/sessions", s.listSessions, requireUser)
	ui.POST("/sessions/:session/end", s.endSession, requireUser)
	ui.GET("/setup", s.showSetup)
	ui.POST("/setup", s.saveSetup)
	ui.GET(oauthCallbackPath, s.oauthCallback, requireUser) // every OAuth 2.0 service's Redirect URI

	// Access tokens: the global ones (administrators), and each app's own
	// (its designers and administrators), on the same screens.
	for _, tokens := range []*echo.Group{
		ui.Group("/tokens", s.globalScope),
		ui.Group("/apps/:app/tokens", s.appScope),
	} {
		tokens.GET("", s.listTokens)
		tokens.GET("/new", s.pickProvider)
		tokens.GET("/new/:provider", s.newToken)
		tokens.POST("/new/:provider", s.createToken)
		tokens.GET("/edit", s.editSelectedToken)
		tokens.GET("/remove", s.confirmRemoveTokens)
		tokens.POST("/remove", s.removeTokens)
		tokens.GET("/export", s.showExport)
		tokens.POST("/export", s.exportTokens)
		tokens.GET("/import", s.showImport)
		tokens.POST("/import", s.previewImport)
		tokens.POST("/import/confirm", s.confirmImport)
		tokens.GET("/:id", s.editToken)
		tokens.POST("/:id", s.updateToken)
		tokens.POST("/:id/renew", s.renewToken)
		tokens.POST("/:id/reconnect", s.reconnectToken)
		tokens.POST("/:id/keys", s.newKeyPair)
		tokens.POST("/:id/keys/use", s.useNewKey)
		tokens.POST("/:id/keys/retire", s.retireKey)
		tokens.GET("/:id/certificate.cer", s.downloadCertificate)
	}
	global := ui.Group("/tokens", s.globalScope)
	global.GET("/:id/permissions", s.showPermissions)
	global.POST("/:id/permissions", s.savePermissions)

	// Applications: administrators manage them; designers see their own.
	apps := ui.Group("/apps", requireUser)
	apps.GET("", s.listApps)
	apps.GET("/new", s.newApp, requireAdmin)
	apps.POST("/new", s.createApp, requireAdmin)
	apps.GET("/:app", s.showApp)
	apps.POST("/:app", s.updateApp, requireAdmin)
	apps.GET("/:app/delete", s.confirmDeleteApp, requireAdmin)
	apps.POST("/:app/delete", s.deleteApp, requireAdmin)
	apps.GET("/:app/audit", s.listAppAudit) // read-only, for the app's designers too
	apps.GET("/:app/clients", s.listClients)
	apps.POST("/:app/clients", s.createClient)
	apps.GET("/:app/clients/created", s.showNewClientKey)
	apps.GET("/:app/clients/:client/revoke", s.confirmRevokeClient)
	apps.POST("/:app/clients/:client/revoke", s.revokeClient)

	admin := ui.Group("", requireAdmin)
	admin.GET("/clients", s.listClients)
	admin.POST("/clients", s.createClient)
	admin.GET("/clients/created", s.showNewClientKey)
	admin.GET("/clients/:client/revoke", s.confirmRevokeClient)
	admin.POST("/clients/:client/revoke", s.revokeClient)
	admin.GET("/users", s.listUsers)
	admin.POST("/users", s.createUser)
	admin.GET("/users/:id", s.editUser)
	admin.POST("/users/:id", s.updateUser)
	admin.POST("/users/:id/password", s.resetPassword)
	admin.POST("/users/:id/sign-out", s.signOutUser)
	admin.POST("/users/:id/factors/reset", s.resetFactors)
	admin.GET("/users/invite", s.showInvite)
	admin.POST("/users/invite", s.createInvitation)
	admin.GET("/settings", s.showSettings)
	admin.POST("/settings", s.saveSettings)
	admin.POST("/settings/providers/private", s.saveProvidersPrivate)
	admin.POST("/settings/second-factor", s.saveRequireFactor)
	admin.GET("/settings/key/rotate", s.confirmRotateKey)
	admin.POST("/settings/key/rotate", s.rotateKey)
	admin.GET("/settings/sso", s.showSSOSettings)
	admin.POST("/settings/sso", s.saveSSOSettings)
	admin.POST("/settings/sso/test", s.startSSOTest)
	admin.GET("/audit", s.listAudit)
	admin.GET("/audit/export", s.exportAudit)
	admin.GET("/audit/reads", s.listReads)
	admin.GET("/audit/reads/export", s.exportReads)
	admin.GET("/audit/refusals", s.listRefusals)
	admin.GET("/audit/refusals/export", s.exportRefusals)
	admin.GET("/settings/webhooks", s.showWebhooks)
	admin.POST("/settings/webhooks", s.createWebhook)
	admin.POST("/settings/webhooks/private", s.saveWebhooksPrivate)
	admin.GET("/settings/webhooks/:id", s.showWebhook)
	admin.POST("/settings/webhooks/:id", s.updateWebhook)
	admin.GET("/settings/webhooks/:id/secret", s.confirmRotateWebhookSecret)
	admin.POST("/settings/webhooks/:id/secret", s.rotateWebhookSecret)
	admin.POST("/settings/webhooks/:id/test", s.sendTestEvent)
	admin.GET("/settings/webhooks/:id/delete", s.confirmDeleteWebhook)
	admin.POST("/settings/webhooks/:id/delete", s.deleteWebhook)
}

// fetchRoute is the runtime API's hot path.
const fetchRoute = "/api/v1/tokens/:name"

// PublicRoutes are the routes an anonymous visitor may use (the API
// authenticates with client keys instead of sessions).
var PublicRoutes = map[string]bool{
	"GET /healthz": true, "GET /readyz": true, "GET /metrics": true, "GET " + static.Prefix + "*": true,
	"GET /login": true, "POST /login": true, "GET /setup": true, "POST /setup": true,
	"GET /login/second-factor": true, "POST /login/second-factor": true, "POST /login/passkey/options": true, "POST /login/passkey": true, "GET /invitation": true, "POST /invitation": true,
	"GET /api/v1/openapi.json": true, "GET " + fetchRoute: true, "POST " + refreshRoute: true,
	"GET /jwks/:id": true, "GET /login/sso": true, "GET " + ssoCallbackPath: true,
}

func (s *Server) home(c echo.Context) error {
	u := currentUser(c)
	switch {
	case u == nil:
		return c.Redirect(http.StatusSeeOther, "/login")
	case u.IsAdmin():
		return c.Redirect(http.StatusSeeOther, "/tokens")
	}
	return c.Redirect(http.StatusSeeOther, "/apps")
}
