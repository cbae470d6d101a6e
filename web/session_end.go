package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// endSession signs one session out: one of the person's own, or anyone's
// for an administrator. Ending the session of this very browser signs it
// out, like Sign out.
func (s *Server) endSession(c echo.Context) error {
	u, err := s.sessionOwner(c, c.FormValue("user"))
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code == http.StatusForbidden {
		// Someone else's sessions are not this person's to know of.
		return userError(http.StatusNotFound, "This session does not exist, or it has ended already.")
	}
	if err != nil {
		return err
	}
	ref := c.Param("session")
	current := ref == currentSessionRef(c)
	me := currentUser(c)
	if u.ID != me.ID && c.FormValue("confirmed") != "yes" {
		return s.confirmEndSession(c, u, ref)
	}
	err = s.Store.EndSession(c.Request().Context(), u.ID, ref)
	if errors.Is(err, store.ErrNotFound) {
		return userError(http.StatusNotFound, "This session does not exist, or it has ended already.")
	}
	if err != nil {
		return err
	}
	if u.ID != me.ID {
		if err := s.Store.AddAudit(c.Request().Context(), store.Audit{At: s.Now(), Actor: me.Email, Action: "session.end", Subject: u.Email}); err != nil {
			return err
		}
	}
	if current {
		return s.logout(c)
	}
	s.flash(c, "Session ended: that browser is signed out.")
	back := "/sessions"
	if u.ID != me.ID {
		back += "?user=" + strconv.FormatInt(u.ID, 10)
	}
	return c.Redirect(http.StatusSeeOther, back)
}

// confirmEndSession asks before signing another person out (the list's End
// button posts here first, so the question needs no script).
func (s *Server) confirmEndSession(c echo.Context, u store.User, ref string) error {
	now := s.Now()
	list, err := s.Store.UserSessions(c.Request().Context(), u.ID, now.Add(-SessionIdle), now.Add(-sessionAbsolute))
	if err != nil {
		return err
	}
	id := strconv.FormatInt(u.ID, 10)
	for _, si := range list {
		if si.Ref != ref {
			continue
		}
		back := "/sessions?user=" + id
		return render(c, http.StatusOK, views.SessionEnd(views.SessionEndPage{
			Page: s.page(c, "End a session of "+u.Email, views.NavUsers, views.Crumb{Label: "Users", URL: "/users"},
				views.Crumb{Label: u.Email, URL: "/users/" + id}, views.Crumb{Label: "Sessions", URL: back}, views.Crumb{Label: "End a session"}),
			Email: u.Email, Device: s.deviceName(si.UserAgent), Address: si.IP, LastSeen: si.LastSeenAt, Now: now,
			PostURL: "/sessions/" + ref + "/end", UserID: id, CancelURL: back,
		}))
	}
	return userError(http.StatusNotFound, "This session does not exist, or it has ended already.")
}
