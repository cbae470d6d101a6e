package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

const ctxScope = "scope"

// scope is whose tokens a request works on: the global ones, or one app's.
// The same screens serve both.
type scope struct {
	AppID int64
	App   *store.App
	Base  string // "/tokens" or "/apps/3/tokens"
	// Plain: the person may store credentials unencrypted (the server
	// allows it, and they are an administrator).
	Plain bool
}

func scopeOf(c echo.Context) scope {
	sc, _ := c.Get(ctxScope).(scope)
	if sc.Base == "" {
		sc.Base = "/tokens"
	}
	return sc
}

func (sc scope) tokenURL(id int64) string { return sc.Base + "/" + strconv.FormatInt(id, 10) }

// heading names the token list.
func (sc scope) heading() string {
	if sc.App != nil {
		return sc.App.Name + " · Access Tokens"
	}
	return "Access Tokens"
}

// crumbs leads to the token list.
func (sc scope) crumbs() []views.Crumb {
	if sc.App == nil {
		return []views.Crumb{{Label: "Access Tokens", URL: sc.Base}}
	}
	return []views.Crumb{
		views.AppsCrumb,
		{Label: sc.App.Name, URL: appURL(sc.AppID)},
		{Label: "Access Tokens", URL: sc.Base},
	}
}

func (sc scope) nav() string {
	if sc.App != nil {
		return views.NavApps
	}
	return views.NavTokens
}

// duplicateName is the message for a name already used in the scope.
func (sc scope) duplicateName(name string) string { return sc.file().DuplicateName(name) }

func appURL(id int64) string { return "/apps/" + strconv.FormatInt(id, 10) }

// globalScope is for administrators only.
func (s *Server) globalScope(next echo.HandlerFunc) echo.HandlerFunc {
	return requireAdmin(func(c echo.Context) error {
		c.Set(ctxScope, scope{Base: "/tokens", Plain: s.Config.AllowPlain})
		return next(c)
	})
}

// appScope lets administrators and the app's own designers in. Anyone else
// gets the same 404 as for an app that does not exist.
func (s *Server) appScope(next echo.HandlerFunc) echo.HandlerFunc {
	return requireUser(func(c echo.Context) error {
		app, err := s.appParam(c)
		if err != nil {
			return err
		}
		c.Set(ctxScope, scope{AppID: app.ID, App: &app, Base: appURL(app.ID) + "/tokens", Plain: s.Config.AllowPlain && currentUser(c).IsAdmin()})
		return next(c)
	})
}

var errNoApp = userError(http.StatusNotFound, "There is no such application, or you are not one of its designers.")

// appParam loads the :app application if the user may open it.
func (s *Server) appParam(c echo.Context) (store.App, error) {
	id, err := strconv.ParseInt(c.Param("app"), 10, 64)
	if err != nil || id <= 0 {
		return store.App{}, errNoApp
	}
	u := currentUser(c)
	if !u.IsAdmin() {
		ok, err := s.Store.IsDesigner(c.Request().Context(), id, u.ID)
		if err != nil {
			return store.App{}, err
		}
		if !ok {
			return store.App{}, errNoApp
		}
	}
	app, err := s.Store.AppByID(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return app, errNoApp
	}
	return app, err
}
