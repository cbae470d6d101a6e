package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// Permission Settings choices ("access" in the form).
const (
	accessEvery  = "every"
	accessChosen = "chosen"
)

// permissionsForm is what a Permission Settings form asks for.
type permissionsForm struct {
	access store.Access
	raw    []string // the app boxes as submitted, kept on a rejected form
	// confirmed are the apps the person was told would lose access, and
	// went on: an app not among them is asked about again.
	confirmed map[int64]bool
	errs      map[string]string
}

// showPermissions is a global token's Permission Settings (which apps may
// use it) and App Associations (which apps did).
func (s *Server) showPermissions(c echo.Context) error {
	t, _, err := s.tokenParam(c)
	if err != nil {
		return err
	}
	access, err := s.Store.TokenAccess(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	raw := make([]string, 0, len(access.Apps))
	for _, id := range access.Apps {
		raw = append(raw, strconv.FormatInt(id, 10))
	}
	return s.renderPermissions(c, http.StatusOK, t.ID, t.Name, permissionsForm{access: access, raw: raw}, nil)
}

func (s *Server) renderPermissions(c echo.Context, status int, tokenID int64, name string, f permissionsForm, cutOff []store.Association) error {
	ctx := c.Request().Context()
	apps, err := s.Store.ListApps(ctx, 0)
	if err != nil {
		return err
	}
	designers, err := s.Store.DesignerEmails(ctx)
	if err != nil {
		return err
	}
	chosen := map[string]bool{}
	for _, r := range f.raw {
		chosen[r] = true
	}
	sc := scopeOf(c)
	m := views.PermissionsPage{
		Page: s.page(c, name+": Permission Settings", views.NavTokens, append(sc.crumbs(),
			views.Crumb{Label: name, URL: sc.tokenURL(tokenID)}, views.Crumb{Label: "Permission Settings"})...),
		TokenName: name, PostURL: sc.tokenURL(tokenID) + "/permissions", TokenURL: sc.tokenURL(tokenID),
		Restricted: f.access.Restricted, Errors: f.errs,
	}
	var ids []string
	for _, a := range cutOff {
		m.CutOff = append(m.CutOff, views.AssociationRow{App: a.AppName, Count: a.Count, Last: views.When(a.Last)})
		ids = append(ids, strconv.FormatInt(a.AppID, 10))
	}
	m.Confirm = strings.Join(ids, ",")
	for _, a := range apps {
		v := strconv.FormatInt(a.ID, 10)
		m.Apps = append(m.Apps, views.Option{Value: v, Label: a.Name, Selected: chosen[v]})
		m.Designers = append(m.Designers, strings.Join(designers[a.ID], ", "))
	}
	assoc, err := s.Store.TokenAssociations(ctx, tokenID)
	if err != nil {
		return err
	}
	for _, a := range assoc {
		m.Associations = append(m.Associations, views.AssociationRow{App: a.AppName, Count: a.Count, Last: views.When(a.Last)})
	}
	return render(c, status, views.Permissions(m))
}

// parsePermissions reads the form. An explicit choice is needed to open a
// token to every app: a form that says nothing never widens access.
func parsePermissions(c echo.Context) (permissionsForm, error) {
	form, err := c.FormParams()
	if err != nil {
		return permissionsForm{}, userError(http.StatusBadRequest, "The form could not be read.")
	}
	f := permissionsForm{raw: form["app"], confirmed: map[int64]bool{}, errs: map[string]string{}}
	for _, r := range strings.Split(form.Get("confirm"), ",") {
		if id, err := strconv.ParseInt(r, 10, 64); err == nil {
			f.confirmed[id] = true
		}
	}
	switch form.Get("access") {
	case accessEvery:
		// Apps ticked while "Every app" stayed as the form showed it: the
		// person chose apps (and never saw the choice above them). Only a
		// move from "Only the chosen apps" to "Every app" opens the token
		// to every app whatever boxes are still ticked.
		if len(f.raw) > 0 && form.Get("shown") != accessChosen {
			f.access.Restricted = true
		}
	case accessChosen:
		f.access.Restricted = true
	case "":
		// Older forms sent only the boxes.
		if len(f.raw) == 0 {
			f.errs["access"] = "Choose whether every app or only the chosen apps may use this token."
		}
		f.access.Restricted = true
	default:
		f.errs["access"] = "Choose whether every app or only the chosen apps may use this token."
	}
	seen := map[int64]bool{}
	for _, r := range f.raw {
		id, err := strconv.ParseInt(r, 10, 64)
		if err != nil || id <= 0 {
			f.errs["app"] = "Choose applications from the list."
			continue
		}
		if !seen[id] {
			seen[id] = true
			f.access.Apps = append(f.access.Apps, id)
		}
	}
	if !f.access.Restricted {
		f.access.Apps, f.raw = nil, nil
	}
	return f, nil
}

// savePermissions stores Permission Settings. Apps that fetched the token
// and would lose access are named first, and saved only once confirmed.
func (s *Server) savePermissions(c echo.Context) error {
	t, _, err := s.tokenParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	f, err := parsePermissions(c)
	if err != nil {
		return err
	}
	if len(f.errs) > 0 {
		return s.renderPermissions(c, http.StatusUnprocessableEntity, t.ID, t.Name, f, nil)
	}
	cutOff, err := s.losingAccess(c, t.ID, f.access)
	if err != nil {
		return err
	}
	for _, a := range cutOff {
		if !f.confirmed[a.AppID] {
			return s.renderPermissions(c, http.StatusOK, t.ID, t.Name, f, cutOff)
		}
	}
	err = s.Store.SetTokenPermissions(ctx, t.ID, f.access, currentUser(c).Email)
	if errors.Is(err, store.ErrUnknownApp) {
		f.errs["app"] = "One of the chosen applications no longer exists (it may have just been deleted). Check the list and save again."
		return s.renderPermissions(c, http.StatusUnprocessableEntity, t.ID, t.Name, f, nil)
	}
	if err != nil {
		return err
	}
	switch n := len(f.access.Apps); {
	case !f.access.Restricted:
		s.flash(c, fmt.Sprintf("Every app may use “%s”.", t.Name))
	case n == 0:
		s.flash(c, fmt.Sprintf("No app may use “%s” now.", t.Name))
	case n == 1:
		s.flash(c, fmt.Sprintf("Only the chosen app may use “%s”.", t.Name))
	default:
		s.flash(c, fmt.Sprintf("Only the %d chosen apps may use “%s”.", n, t.Name))
	}
	return c.Redirect(http.StatusSeeOther, scopeOf(c).tokenURL(t.ID)+"/permissions")
}

// losingAccess lists the apps that fetched the token (App Associations)
// and may use it now but would not under next.
func (s *Server) losingAccess(c echo.Context, tokenID int64, next store.Access) ([]store.Association, error) {
	ctx := c.Request().Context()
	now, err := s.Store.TokenAccess(ctx, tokenID)
	if err != nil {
		return nil, err
	}
	assoc, err := s.Store.TokenAssociations(ctx, tokenID)
	if err != nil {
		return nil, err
	}
	var out []store.Association
	for _, a := range assoc {
		// App 0 stands for global clients, which Permission Settings do not limit.
		if a.AppID != 0 && now.Allows(a.AppID) && !next.Allows(a.AppID) {
			out = append(out, a)
		}
	}
	return out, nil
}
