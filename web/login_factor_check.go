package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/auth"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// checkSecondFactor is the second step of signing in: a code from the
// person's authenticator app or one of their recovery codes. The sign-in
// throttling of the password applies here too, per account and address.
func (s *Server) checkSecondFactor(c echo.Context) error {
	m, ok, err := s.secondFactorPage(c)
	if err != nil || !ok {
		return err
	}
	id := s.pendingUser(c)
	code := c.FormValue("code")
	fail := func(status int, msg string) error {
		m.Error = msg
		return render(c, status, views.SecondFactor(m))
	}
	ctx := c.Request().Context()
	keys := []string{auth.Key("account", m.Email), auth.Key("address", c.RealIP())}
	wait, attempt, err := s.throttle.Reserve(ctx, keys...)
	if err != nil {
		return err
	}
	if wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
		return fail(http.StatusTooManyRequests, fmt.Sprintf("Too many failed sign-ins. Wait %d seconds, then try again.", secs))
	}
	refundCtx := context.WithoutCancel(ctx)
	if code == "" {
		if err := attempt.Cancel(refundCtx); err != nil {
			return err
		}
		return fail(http.StatusUnprocessableEntity, "Enter the code from your authenticator app, or a recovery code.")
	}
	msg, err := s.verifySecondFactor(ctx, id, code)
	if err != nil {
		return err
	}
	if msg != "" {
		s.Logger.Info("second factor failed", "email", m.Email, "ip", c.RealIP())
		return fail(http.StatusUnprocessableEntity, msg)
	}
	if err := attempt.Succeeded(refundCtx); err != nil {
		return err
	}
	next := stringValue(c, sessNext)
	if err := s.startSession(c, id); err != nil {
		return err
	}
	s.Logger.Info("signed in", "user", m.Email, "factor", true)
	return c.Redirect(http.StatusSeeOther, safeNext(next))
}

// verifySecondFactor checks a TOTP or recovery code; it returns what to
// tell the person when the code does not pass.
func (s *Server) verifySecondFactor(ctx context.Context, userID int64, code string) (string, error) {
	if auth.LooksLikeRecoveryCode(code) {
		switch err := s.Store.UseRecoveryCode(ctx, userID, auth.HashRecoveryCode(code)); {
		case errors.Is(err, store.ErrCodeUsed):
			return "This recovery code has been used already: each works once. Use another.", nil
		case errors.Is(err, store.ErrNotFound):
			return "This code is not right. Check it and try again.", nil
		case err != nil:
			return "", err
		}
		return "", nil
	}
	factors, err := s.Store.Factors(ctx, userID)
	if err != nil {
		return "", err
	}
	now := s.Now()
	for _, f := range factors {
		if f.Kind != store.FactorTOTP || !f.Confirmed {
			continue
		}
		secret, err := s.Store.FactorSecret(ctx, userID, f.ID)
		if err != nil {
			return "", err
		}
		step, ok := auth.CheckTOTP(secret, code, now)
		if !ok {
			continue
		}
		switch err := s.Store.UseTOTPStep(ctx, userID, f.ID, step); {
		case errors.Is(err, store.ErrCodeReplayed):
			return fmt.Sprintf("This code has been used already. Wait for the next one (at most %s) and enter that.", auth.TOTPPeriod*time.Second), nil
		case err != nil:
			return "", err
		}
		return "", nil
	}
	return "This code is not right. Check it and try again.", nil
}
