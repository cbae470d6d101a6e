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
	e.Pre(middleware.RequestID())
	e.Use(s.observe, middleware.Recover(), securityHeaders, bodyLimit())

	// Operations and assets: no session, no CSRF.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{})))
	e.GET(static.Prefix+"*", echo.WrapHandler(static.Handler()))

	// The console: sessions, CSRF on every unsafe request, never cached.
	ui := e.Group("", noStore, s.loadSession, s.csrf)
	ui.GET("/", s.home)
	ui.GET("/login", s.showLogin)
	ui.POST("/login", s.checkLogin)
	ui.POST("/logout", s.logout, requireUser)
	ui.GET("/setup", s.showSetup)
	ui.POST("/setup", s.saveSetup)

	// Global access tokens: administrators.
	tokens := ui.Group("/tokens", requireAdmin)
	tokens.GET("", s.listTokens)
	tokens.GET("/new", s.pickProvider)
	tokens.GET("/new/:provider", s.newToken)
	tokens.POST("/new/:provider", s.createToken)
	tokens.GET("/remove", s.confirmRemoveTokens)
	tokens.POST("/remove", s.removeTokens)
	tokens.GET("/:id", s.editToken)
	tokens.POST("/:id", s.updateToken)
	tokens.POST("/:id/renew", s.renewToken)

	admin := ui.Group("", requireAdmin)
	admin.GET("/audit", s.listAudit)
	admin.GET("/users", s.listUsers)
	admin.POST("/users/:id/sign-out", s.signOutUser)
}

// PublicRoutes are the routes an anonymous visitor may use.
var PublicRoutes = map[string]bool{
	"GET /healthz": true, "GET /readyz": true, "GET /metrics": true, "GET " + static.Prefix + "*": true,
	"GET /login": true, "POST /login": true, "GET /setup": true, "POST /setup": true,
}

func (s *Server) home(c echo.Context) error {
	if currentUser(c) == nil {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	return c.Redirect(http.StatusSeeOther, "/tokens")
}
