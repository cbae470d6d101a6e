package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// Session values of the half-signed-in state: the password passed, the
// second factor not yet. Such a session carries the user's id but
// loadSession gives it no user, so it has no privileges anywhere.
const (
	sessPending   = "pending"    // "factor" while the second step is due
	sessPendingAt = "pending_at" // Unix seconds when the password passed
	sessNext      = "next"       // where to go after the second step
	ctxPendingID  = "pending_user"
)

// pendingFor is how long the second step may take after the password.
const pendingFor = 5 * time.Minute

// settingRequireFactor is Settings' "Require a second factor for administrators".
const settingRequireFactor = "require_admin_second_factor"

// startPending replaces the browser's session with a half-signed-in one.
// The pending mark goes into the session's first and only write: were it a
// second write, a failure between the two would leave the browser holding
// a session with the user's id and no mark, that is fully signed in.
func (s *Server) startPending(c echo.Context, userID int64, next string) error {
	return s.startSession(c, userID, map[string]any{
		sessPending:   "factor",
		sessPendingAt: strconv.FormatInt(s.Now().Unix(), 10),
		sessNext:      next,
	})
}

// pendingUser is the id of the person half-way through signing in (0 if
// none, or if the second step took too long).
func (s *Server) pendingUser(c echo.Context) int64 {
	id, _ := c.Get(ctxPendingID).(int64)
	if id == 0 {
		return 0
	}
	at, _ := strconv.ParseInt(stringValue(c, sessPendingAt), 10, 64)
	if s.Now().Sub(time.Unix(at, 0)) > pendingFor {
		return 0
	}
	return id
}

func stringValue(c echo.Context, key string) string {
	if sess := currentSession(c); sess != nil {
		v, _ := sess.Values[key].(string)
		return v
	}
	return ""
}

// isPending reports whether a session is half-signed-in.
func isPending(values map[any]any) bool {
	v, _ := values[sessPending].(string)
	return v != ""
}

// accountGate keeps a signed-in person on Your account while something
// must be done first: choose their own password (an administrator typed
// it), or add a second factor (administrators, when Settings requires one).
func (s *Server) accountGate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := currentUser(c)
		p := c.Request().URL.Path
		if u == nil || p == "/account" || strings.HasPrefix(p, "/account/") || p == "/logout" || strings.HasPrefix(p, "/login") {
			return next(c)
		}
		block := u.MustChangePassword
		if !block && u.IsAdmin() {
			required, err := s.Store.GetSetting(c.Request().Context(), settingRequireFactor)
			if err != nil {
				return err
			}
			if required == "true" {
				has, err := s.Store.HasSecondFactor(c.Request().Context(), u.ID)
				if err != nil {
					return err
				}
				block = !has
			}
		}
		if !block {
			return next(c)
		}
		if c.Request().Method == http.MethodGet {
			return c.Redirect(http.StatusSeeOther, "/account")
		}
		if u.MustChangePassword {
			return userError(http.StatusForbidden, "Choose your own password first, on Your account.")
		}
		return userError(http.StatusForbidden, "Add a second factor first, on Your account: administrators need one.")
	}
}
