package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

const settingAllowDelete = "allow_delete_application"

func (s *Server) deletingAllowed(c echo.Context) (bool, error) {
	v, err := s.Store.GetSetting(c.Request().Context(), settingAllowDelete)
	return v == "true", err
}

// confirmDeleteApp lists what deleting an application takes with it.
func (s *Server) confirmDeleteApp(c echo.Context) error {
	app, err := s.appParam(c)
	if err != nil {
		return err
	}
	allowed, err := s.deletingAllowed(c)
	if err != nil {
		return err
	}
	m := views.AppDeletePage{
		Page: s.page(c, "Delete "+app.Name, views.NavApps,
			views.AppsCrumb, views.Crumb{Label: app.Name, URL: appURL(app.ID)}, views.Crumb{Label: "Delete"}),
		Name: app.Name, Allowed: allowed, PostURL: appURL(app.ID) + "/delete", CancelURL: appURL(app.ID),
	}
	toks, _, err := s.Store.ListTokens(c.Request().Context(), store.TokenFilter{AppID: app.ID})
	if err != nil {
		return err
	}
	for _, t := range toks {
		m.Tokens = append(m.Tokens, t.Name)
	}
	clients, err := s.Store.ListClients(c.Request().Context(), app.ID)
	if err != nil {
		return err
	}
	m.Clients = len(clients)
	if m.OnlyFor, err = s.Store.GlobalTokensOnlyFor(c.Request().Context(), app.ID); err != nil {
		return err
	}
	uses, err := s.Store.AppAssociations(c.Request().Context(), app.ID)
	if err != nil {
		return err
	}
	for _, u := range uses {
		scope := "this app's"
		if u.Global {
			scope = "global"
		}
		m.InUse = append(m.InUse, views.AppUseRow{Token: u.TokenName, Scope: scope, Count: u.Count, Last: views.When(u.Last)})
	}
	status := http.StatusOK
	if !allowed {
		status = http.StatusForbidden
	}
	return render(c, status, views.AppDelete(m))
}

// deleteApp removes an application permanently, in one transaction.
func (s *Server) deleteApp(c echo.Context) error {
	app, err := s.appParam(c)
	if err != nil {
		return err
	}
	allowed, err := s.deletingAllowed(c)
	if err != nil {
		return err
	}
	if !allowed {
		return userError(http.StatusForbidden, "Applications cannot be deleted while “Allow Deleting Application Permanently” is off (Settings).")
	}
	orphans, err := s.Store.GlobalTokensOnlyFor(c.Request().Context(), app.ID)
	if err != nil {
		return err
	}
	names, err := s.Store.DeleteApp(c.Request().Context(), app.ID, currentUser(c).Email)
	if err != nil {
		return err
	}
	s.engine.ForgetApp(app.ID)
	msg := fmt.Sprintf("Deleted application “%s” and its %s.", app.Name, views.Plural(len(names), "access token", "access tokens"))
	if len(orphans) > 0 {
		msg += fmt.Sprintf(" No app may use %s now: change their Permission Settings to open them to another app.", strings.Join(quoted(orphans), ", "))
	}
	s.flash(c, msg)
	return c.Redirect(http.StatusSeeOther, "/apps")
}

func quoted(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "“" + n + "”"
	}
	return out
}
