package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
	"github.com/tokendesk/tokendesk/views"
)

// showApp is an application's page: its tokens, its API clients, the
// global tokens it may use (names, types and descriptions only) and, for
// administrators, its settings.
func (s *Server) showApp(c echo.Context) error {
	app, err := s.appParam(c)
	if err != nil {
		return err
	}
	return s.renderApp(c, http.StatusOK, app, nil)
}

func (s *Server) renderApp(c echo.Context, status int, app store.App, in *appInput) error {
	m := views.AppPage{
		Page: s.page(c, app.Name, views.NavApps, views.AppsCrumb, views.Crumb{Label: app.Name}),
		ID:   app.ID, Name: app.Name, Kind: app.Kind,
		TokensURL: appURL(app.ID) + "/tokens", ClientsURL: appURL(app.ID) + "/clients", AuditURL: appURL(app.ID) + "/audit",
		CanEdit: currentUser(c).IsAdmin(), PostURL: appURL(app.ID), DeleteURL: appURL(app.ID) + "/delete",
	}
	chosen := map[int64]bool{}
	for _, d := range app.Designers {
		m.Designers = append(m.Designers, d.Email)
		chosen[d.ID] = true
	}
	if in != nil {
		m.Name, m.Kind, m.Errors, chosen = in.name, in.kind, in.errs, in.chosen
	}
	if err := s.usableTokens(c, &m); err != nil {
		return err
	}
	shadows, more, err := s.Store.ShadowedGlobals(c.Request().Context(), app.ID, shadowsShown)
	if err != nil {
		return err
	}
	m.ShadowedMore = more
	for _, sh := range shadows {
		m.Shadowed = append(m.Shadowed, views.ShadowRow{
			Name: sh.App.Name, AppType: providerName(sh.App.Provider), GlobalType: providerName(sh.Global.Provider),
			AppURL: appURL(app.ID) + "/tokens/" + strconv.FormatInt(sh.App.ID, 10), OtherProvider: sh.App.Provider != sh.Global.Provider,
		})
	}
	if m.CanEdit {
		if m.Users, err = s.designerOptions(c, chosen); err != nil {
			return err
		}
	}
	return render(c, status, views.App(m))
}

// shadowsShown is how many of the global tokens the app's own tokens
// shadow its page lists (an app may have thousands of tokens).
const shadowsShown = 50

// usablePerPage is how many of the global tokens an app may use its page
// shows at a time.
const usablePerPage = 50

// usableTokens fills in one page of the global tokens the app may use, by
// name, with links to the neighbouring pages (cursor: a name key).
func (s *Server) usableTokens(c echo.Context, m *views.AppPage) error {
	after, before, err := readCursor(c, func(key string) bool { return key != "" })
	if err != nil {
		return err
	}
	from, back := "", before != nil
	if after != nil {
		from = *after
	} else if back {
		from = *before
	}
	usable, more, err := s.Store.GlobalTokensFor(c.Request().Context(), m.ID, usablePerPage, from, back)
	if err != nil {
		return err
	}
	// Designers see whether a token their app relies on works; only
	// administrators may open a global token, so only they get a link.
	admin := currentUser(c).IsAdmin()
	for _, t := range usable {
		link := ""
		if admin {
			link = "/tokens/" + strconv.FormatInt(t.ID, 10)
		}
		m.Usable = append(m.Usable, tokenRow(t, link, s.Now()))
	}
	if len(usable) == 0 {
		return nil
	}
	base := appURL(m.ID)
	first, last := token.NameKey(usable[0].Name), token.NameKey(usable[len(usable)-1].Name)
	if (back && more) || after != nil {
		m.UsablePrevURL = base + "?before=" + encodeCursor(first) + "#usable"
	}
	if more || back {
		m.UsableNextURL = base + "?after=" + encodeCursor(last) + "#usable"
	}
	return nil
}

// updateApp renames an application and chooses its designers.
func (s *Server) updateApp(c echo.Context) error {
	app, err := s.appParam(c)
	if err != nil {
		return err
	}
	in := readAppForm(c)
	if len(in.errs) == 0 {
		err := s.Store.UpdateApp(c.Request().Context(), app.ID, in.name, in.kind, in.designers, currentUser(c).Email)
		switch {
		case errors.Is(err, store.ErrDuplicateApp):
			in.errs["name"] = "An application named “" + in.name + "” already exists."
		case err != nil:
			return err
		default:
			s.flash(c, fmt.Sprintf("Application “%s” saved.", in.name))
			return c.Redirect(http.StatusSeeOther, appURL(app.ID))
		}
	}
	return s.renderApp(c, http.StatusUnprocessableEntity, app, &in)
}

func providerName(id string) string {
	if p, ok := registry.ByID(id); ok {
		return p.Name
	}
	return id
}

// flashSaved says a token was saved; for an app's token that shadows a
// global token of another provider it warns instead, since the app's
// processes will now get credentials for a different system.
func (s *Server) flashSaved(c echo.Context, t token.Token, msg string) {
	if t.AppID != 0 {
		g, err := s.Store.ResolveToken(c.Request().Context(), 0, t.Name)
		if err == nil && g.Provider != t.Provider {
			s.flashWarn(c, msg+fmt.Sprintf(" It shadows the global token “%s” (%s): this app's processes fetching “%s” now get %s credentials instead.",
				g.Name, providerName(g.Provider), t.Name, providerName(t.Provider)))
			return
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.Logger.Warn("checking for a shadowed token", "err", err, "request_id", requestID(c))
		}
	}
	s.flash(c, msg)
}
