package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/auth"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// checkLogin signs a person in. Failures are slowed down per account and
// per address, and never say which of email or password was wrong.
func (s *Server) checkLogin(c echo.Context) error {
	email := strings.ToLower(strings.TrimSpace(c.FormValue("email")))
	password := c.FormValue("password")
	next := c.FormValue("next")
	keys := []string{auth.Key("account", email), auth.Key("address", c.RealIP())}

	fail := func(status int, msg string) error {
		m := views.LoginPage{Page: s.page(c, "Sign in", ""), Email: email, Error: msg, Next: next}
		if err := s.loginSSO(c.Request().Context(), &m); err != nil {
			return err
		}
		return render(c, status, views.Login(m))
	}
	tooMany := func(wait time.Duration) error {
		secs := int(math.Ceil(wait.Seconds()))
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
		return fail(http.StatusTooManyRequests, fmt.Sprintf("Too many failed sign-ins. Wait %d seconds, then try again.", secs))
	}
	ctx := c.Request().Context()
	if wait, err := s.throttle.Wait(ctx, keys...); err != nil {
		return err
	} else if wait > 0 {
		return tooMany(wait)
	}
	if email == "" || password == "" {
		return fail(http.StatusUnprocessableEntity, "Enter your email and password.")
	}
	// The attempt counts before the slow comparison, so parallel guesses
	// cannot outrun the lock.
	wait, attempt, err := s.throttle.Reserve(ctx, keys...)
	if err != nil {
		return err
	}
	if wait > 0 {
		return tooMany(wait)
	}
	// A refund outlives a browser that gave up: the attempt did not happen.
	refundCtx := context.WithoutCancel(ctx)
	release, ok := s.signInSlot(c)
	if !ok {
		if err := attempt.Cancel(refundCtx); err != nil {
			return err
		}
		c.Response().Header().Set("Retry-After", "1")
		return fail(http.StatusServiceUnavailable, "Many sign-ins are being checked right now. Try again in a moment.")
	}
	defer release()

	u, err := s.Store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return errors.Join(err, attempt.Cancel(refundCtx))
	}
	if !s.Hasher.Check(u.PasswordHash, password) || !u.Active {
		s.Logger.Info("sign-in failed", "email", email, "ip", c.RealIP())
		return fail(http.StatusUnprocessableEntity, "The email or password is not right.")
	}
	// Only after the password: an early refusal would tell anyone which
	// emails are the break-glass administrators'.
	if off, err := s.passwordSignInOff(ctx, email); err != nil {
		return errors.Join(err, attempt.Cancel(refundCtx))
	} else if off {
		if err := attempt.Succeeded(refundCtx); err != nil {
			return err
		}
		return fail(http.StatusForbidden, "Password sign-in is turned off: use the single sign-on button above. Only the break-glass administrators named in Settings may still use a password.")
	}
	// With a second factor the password only half signs in: the session
	// has no privileges until the factor passes (login_factor_check.go).
	// The account's earlier failures stay counted (the attempt is only
	// taken back): else each right password would buy five more guesses
	// at the six-digit code.
	if has, err := s.Store.HasSecondFactor(ctx, u.ID); err != nil {
		return errors.Join(err, attempt.Cancel(refundCtx))
	} else if has {
		if err := attempt.Cancel(refundCtx); err != nil {
			return err
		}
		if err := s.startPending(c, u.ID, next); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/login/second-factor")
	}
	if err := attempt.Succeeded(refundCtx); err != nil {
		return err
	}
	if err := s.startSession(c, u.ID); err != nil {
		return err
	}
	s.Logger.Info("signed in", "user", u.Email)
	return c.Redirect(http.StatusSeeOther, safeNext(next))
}

// startSession replaces whatever session the browser had with a new one,
// so that an identifier known before sign-in is worthless after it. Extra
// values are saved with the user's id in the session's single write.
func (s *Server) startSession(c echo.Context, userID int64, extra ...map[string]any) error {
	if old := currentSession(c); old != nil && old.ID != "" {
		if err := s.Store.DeleteSession(c.Request().Context(), auth.HashSessionID(old.ID)); err != nil {
			return err
		}
	}
	sess, err := s.sessions.New(&http.Request{Header: http.Header{}}, sessionCookie)
	if err != nil {
		return err
	}
	sess.Values[auth.UserIDKey] = userID
	for _, m := range extra {
		for k, v := range m {
			sess.Values[k] = v
		}
	}
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	c.Set(ctxSession, sess)
	return nil
}

// signInSlot bounds the password comparisons running at once: bcrypt is
// slow on purpose, and unbounded it starves every other request. A
// request waits briefly for a slot, then is turned away rather than queued.
func (s *Server) signInSlot(c echo.Context) (release func(), ok bool) {
	release = func() { <-s.signIns }
	select {
	case s.signIns <- struct{}{}:
		return release, true
	default:
	}
	if s.signInWait <= 0 {
		return nil, false
	}
	t := time.NewTimer(s.signInWait)
	defer t.Stop()
	select {
	case s.signIns <- struct{}{}:
		return release, true
	case <-t.C:
	case <-c.Request().Context().Done():
	}
	return nil, false
}
