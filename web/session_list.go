package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/auth"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// listSessions shows the signed-in person's sessions (browsers), each of
// which they can end. Administrators see anyone's with ?user=<id>.
func (s *Server) listSessions(c echo.Context) error {
	u, err := s.sessionOwner(c, c.QueryParam("user"))
	if err != nil {
		return err
	}
	me := currentUser(c)
	now := s.Now()
	list, err := s.Store.UserSessions(c.Request().Context(), u.ID, now.Add(-SessionIdle), now.Add(-sessionAbsolute))
	if err != nil {
		return err
	}
	own := u.ID == me.ID
	title := "Sessions"
	crumbs := []views.Crumb{{Label: "Sessions"}}
	nav := ""
	if !own {
		title = "Sessions of " + u.Email
		crumbs = []views.Crumb{{Label: "Users", URL: "/users"}, {Label: u.Email, URL: "/users/" + strconv.FormatInt(u.ID, 10)}, {Label: "Sessions"}}
		nav = views.NavUsers
	}
	m := views.SessionsPage{Page: s.page(c, title, nav, crumbs...), Email: u.Email, Own: own}
	current := currentSessionRef(c)
	for _, si := range list {
		m.Rows = append(m.Rows, views.SessionRow{
			Device: s.deviceName(si.UserAgent), Address: si.IP, SignedIn: si.CreatedAt, LastSeen: si.LastSeenAt, Now: now,
			Current: si.Ref == current, EndURL: "/sessions/" + si.Ref + "/end", UserID: strconv.FormatInt(u.ID, 10),
		})
	}
	return render(c, http.StatusOK, views.Sessions(m))
}

// sessionOwner is the user whose sessions a request is about: the
// signed-in person, or (administrators only) the user named by id.
func (s *Server) sessionOwner(c echo.Context, id string) (store.User, error) {
	me := currentUser(c)
	if id == "" || id == strconv.FormatInt(me.ID, 10) {
		return *me, nil
	}
	if !me.IsAdmin() {
		return store.User{}, userError(http.StatusForbidden, "Only administrators can see or end other people's sessions.")
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return store.User{}, userError(http.StatusNotFound, "No such user.")
	}
	u, err := s.Store.UserByID(c.Request().Context(), n)
	if errors.Is(err, store.ErrNotFound) {
		return u, userError(http.StatusNotFound, "No such user.")
	}
	return u, err
}

// currentSessionRef names the session of this request as session lists do.
func currentSessionRef(c echo.Context) string {
	if sess := currentSession(c); sess != nil && sess.ID != "" {
		return store.SessionRef(auth.HashSessionID(sess.ID))
	}
	return ""
}
