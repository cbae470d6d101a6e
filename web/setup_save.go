package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/auth"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// saveSetup creates the first administrator, guarded by the one-time code
// printed in the server log, and signs them in.
func (s *Server) saveSetup(c echo.Context) error {
	if !s.Setup.Active() {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	ctx := c.Request().Context()
	if n, err := s.Store.CountUsers(ctx); err != nil {
		return err
	} else if n > 0 {
		s.Setup.End() // someone was quicker: setup is over
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	key := auth.Key("address", c.RealIP())
	errs := map[string]string{}
	rawEmail := c.FormValue("email")
	email, err := auth.NormalizeEmail(rawEmail)
	if err != nil {
		errs["email"] = err.Error()
	}
	password := c.FormValue("password")
	if msg := auth.ValidatePassword(password); msg != "" {
		errs["password"] = msg
	}
	// Every field is checked at once, the code included, so that the page
	// reports all its errors together; a right code is used up only by a
	// form that creates the administrator.
	code := c.FormValue("code")
	wrongCode := func() error {
		errs["code"] = "That is not the setup code. Copy it from the server log."
		return s.throttle.Failure(ctx, key)
	}
	if wait, err := s.throttle.Wait(ctx, key); err != nil {
		return err
	} else if wait > 0 {
		errs["code"] = "Too many wrong setup codes. Wait a little, then try again."
	} else if normalizeCode(code) == "" {
		errs["code"] = "Enter the setup code. Copy it from the server log."
	} else if !s.Setup.Matches(code) {
		if err := wrongCode(); err != nil {
			return err
		}
	} else if len(errs) == 0 && !s.Setup.Use(code) {
		if err := wrongCode(); err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		m := views.SetupPage{Page: s.page(c, "Set up", ""), Email: rawEmail, Errors: errs}
		return render(c, http.StatusUnprocessableEntity, views.Setup(m))
	}
	hash, err := s.Hasher.Hash(password)
	if err != nil {
		return err
	}
	// Only while there is no user at all: another setup (on this replica
	// or another) may have finished since the count above.
	u, err := s.Store.CreateFirstAdmin(ctx, email, hash)
	if errors.Is(err, store.ErrSetupDone) {
		s.Setup.End()
		return userError(http.StatusConflict, "An administrator already exists. Sign in instead.")
	}
	if err != nil {
		return err
	}
	s.Logger.Info("first administrator created", "user", u.Email)
	if err := s.startSession(c, u.ID); err != nil {
		return err
	}
	c.Set(ctxUser, &u)
	s.flash(c, "Welcome to tokendesk. You are the first administrator.")
	return c.Redirect(http.StatusSeeOther, "/tokens")
}

// Matches reports whether code is the setup code, without using it up.
func (sc *SetupCode) Matches(code string) bool {
	if sc == nil {
		return false
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.code != "" && constantTimeEqual(sc.code, normalizeCode(code))
}
