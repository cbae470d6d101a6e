package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/views"
)

// pickProvider is the first step of Add Token: which external system.
func (s *Server) pickProvider(c echo.Context) error {
	sc := scopeOf(c)
	m := views.ProviderPickPage{Page: s.page(c, "Add Token", sc.nav(), append(sc.crumbs(), views.Crumb{Label: "Add Token"})...)}
	for _, p := range registry.All() {
		m.Choices = append(m.Choices, views.ProviderChoice{Name: p.Name, Detail: p.Detail, URL: sc.Base + "/new/" + p.ID})
	}
	return render(c, http.StatusOK, views.ProviderPick(m))
}
