package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// clientScope is whose API clients a request works on: an app's
// (/apps/:app/clients: its designers and administrators) or the global
// ones (/clients: administrators).
func (s *Server) clientScope(c echo.Context) (appID int64, base string, crumbs []views.Crumb, heading string, err error) {
	if c.Param("app") == "" {
		return 0, "/clients", nil, "API Clients", nil
	}
	app, err := s.appParam(c)
	if err != nil {
		return 0, "", nil, "", err
	}
	return app.ID, appURL(app.ID) + "/clients",
		[]views.Crumb{views.AppsCrumb, {Label: app.Name, URL: appURL(app.ID)}, {Label: "API Clients"}},
		app.Name + " · API Clients", nil
}

const clientsPerPage = 100

func (s *Server) listClients(c echo.Context) error {
	return s.renderClients(c, http.StatusOK, "", "")
}

func (s *Server) renderClients(c echo.Context, status int, newName, problem string) error {
	appID, base, crumbs, heading, err := s.clientScope(c)
	if err != nil {
		return err
	}
	after, before, err := readCursor(c, func(cur store.ClientCursor) bool { return cur.ID > 0 })
	if err != nil {
		return err
	}
	clients, pg, err := s.Store.ClientsPage(c.Request().Context(), appID, clientsPerPage, after, before)
	if err != nil {
		return err
	}
	nav := views.NavAPI
	lede := "Global API clients fetch global access tokens at run time."
	if appID != 0 {
		nav, lede = views.NavApps, "This app's processes and forms fetch its access tokens, and the global ones it may use, with these keys."
	}
	m := views.ClientsPage{Page: s.page(c, heading, nav, crumbs...), Heading: heading, Lede: lede, PostURL: base, NewName: newName, Error: problem}
	for _, cl := range clients {
		row := views.ClientRow{ID: cl.ID, Name: cl.Name, KeyPrefix: cl.KeyPrefix, Created: views.When(cl.CreatedAt) + " by " + cl.CreatedBy,
			LastUsed: views.When(cl.LastUsedAt), Revoked: cl.Revoked(), RevokeURL: base + "/" + strconv.FormatInt(cl.ID, 10) + "/revoke"}
		if cl.LastUsedAt.IsZero() {
			row.LastUsed = "Never"
		}
		m.Rows = append(m.Rows, row)
	}
	if pg.HasPrev {
		m.PrevURL = base + "?before=" + encodeCursor(pg.First)
	}
	if pg.HasNext {
		m.NextURL = base + "?after=" + encodeCursor(pg.Last)
	}
	return render(c, status, views.Clients(m))
}

// confirmRevokeClient asks before a key stops working: whatever uses it breaks.
func (s *Server) confirmRevokeClient(c echo.Context) error {
	appID, base, crumbs, _, err := s.clientScope(c)
	if err != nil {
		return err
	}
	id, _ := strconv.ParseInt(c.Param("client"), 10, 64)
	cl, err := s.Store.ClientByID(c.Request().Context(), appID, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && cl.Revoked()) {
		return userError(http.StatusNotFound, "There is no such API client, or it is already revoked.")
	}
	if err != nil {
		return err
	}
	// The trail leads back to the client list it came from.
	if len(crumbs) > 0 {
		crumbs = crumbs[:len(crumbs)-1]
	}
	crumbs = append(crumbs, views.Crumb{Label: "API Clients", URL: base}, views.Crumb{Label: "Revoke"})
	return render(c, http.StatusOK, views.RevokeClient(views.RevokeClientPage{
		Page: s.page(c, "Revoke "+cl.Name, views.NavAPI, crumbs...),
		Name: cl.Name, KeyPrefix: cl.KeyPrefix, LastUsed: views.When(cl.LastUsedAt),
		PostURL: base + "/" + strconv.FormatInt(cl.ID, 10) + "/revoke", CancelURL: base,
	}))
}

// revokeClient stops a key from working, at once.
func (s *Server) revokeClient(c echo.Context) error {
	appID, base, _, _, err := s.clientScope(c)
	if err != nil {
		return err
	}
	id, _ := strconv.ParseInt(c.Param("client"), 10, 64)
	cl, err := s.Store.RevokeClient(c.Request().Context(), appID, id, currentUser(c).Email)
	if errors.Is(err, store.ErrNotFound) {
		return userError(http.StatusNotFound, "There is no such API client.")
	}
	if err != nil {
		return err
	}
	s.engine.ForgetClient(cl.ID)
	s.flash(c, fmt.Sprintf("Revoked “%s”: its key no longer works.", cl.Name))
	return c.Redirect(http.StatusSeeOther, base)
}
