package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/views"
)

// showPermissions is a global token's Permission Settings (which apps may
// use it) and App Associations (which apps did).
func (s *Server) showPermissions(c echo.Context) error {
	t, _, err := s.tokenParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	allowed, err := s.Store.TokenPermissions(ctx, t.ID)
	if err != nil {
		return err
	}
	chosen := map[int64]bool{}
	for _, id := range allowed {
		chosen[id] = true
	}
	apps, err := s.Store.ListApps(ctx, 0)
	if err != nil {
		return err
	}
	sc := scopeOf(c)
	m := views.PermissionsPage{
		Page: s.page(c, t.Name+": Permission Settings", views.NavTokens, append(sc.crumbs(),
			views.Crumb{Label: t.Name, URL: sc.tokenURL(t.ID)}, views.Crumb{Label: "Permission Settings"})...),
		TokenName: t.Name, PostURL: sc.tokenURL(t.ID) + "/permissions", TokenURL: sc.tokenURL(t.ID),
	}
	for _, a := range apps {
		m.Apps = append(m.Apps, views.Option{Value: strconv.FormatInt(a.ID, 10), Label: a.Name, Selected: chosen[a.ID]})
	}
	assoc, err := s.Store.TokenAssociations(ctx, t.ID)
	if err != nil {
		return err
	}
	for _, a := range assoc {
		m.Associations = append(m.Associations, views.AssociationRow{App: a.AppName, Count: a.Count, Last: views.When(a.Last)})
	}
	return render(c, http.StatusOK, views.Permissions(m))
}

func (s *Server) savePermissions(c echo.Context) error {
	t, _, err := s.tokenParam(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return userError(http.StatusBadRequest, "The form could not be read.")
	}
	apps := parseIDs(form["app"])
	if err := s.Store.SetTokenPermissions(c.Request().Context(), t.ID, apps, currentUser(c).Email); err != nil {
		return err
	}
	if len(apps) == 0 {
		s.flash(c, fmt.Sprintf("Every app may use “%s”.", t.Name))
	} else {
		s.flash(c, fmt.Sprintf("Only the %s may use “%s”.", views.Plural(len(apps), "chosen app", "chosen apps"), t.Name))
	}
	return c.Redirect(http.StatusSeeOther, scopeOf(c).tokenURL(t.ID)+"/permissions")
}
