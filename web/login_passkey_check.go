package web

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/auth"
	"github.com/tokendesk/tokendesk/internal/store"
)

// checkLoginPasskey finishes the second step with a passkey, under the
// same throttling as the password and the codes. The credential's new
// sign counter is kept; a counter that did not go up (the library's
// CloneWarning) means two copies of the key are signing, and the sign-in
// is refused and audited.
func (s *Server) checkLoginPasskey(c echo.Context) error {
	id := s.pendingUser(c)
	if id == 0 {
		return jsonRefusal(c, http.StatusUnauthorized, "Your sign-in took too long. Sign in again.")
	}
	wa, err := s.webAuthn()
	if err != nil {
		return jsonRefusal(c, http.StatusConflict, "Passkeys need TOKENDESK_BASE_URL with a host name, not an IP address.")
	}
	ctx := c.Request().Context()
	u, err := s.Store.UserByID(ctx, id)
	if err != nil {
		return err
	}
	keys := []string{auth.Key("account", u.Email), auth.Key("address", c.RealIP())}
	wait, attempt, err := s.throttle.Reserve(ctx, keys...)
	if err != nil {
		return err
	}
	if wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
		return jsonRefusal(c, http.StatusTooManyRequests, fmt.Sprintf("Too many failed sign-ins. Wait %d seconds, then try again.", secs))
	}
	sd, ok, err := s.takeCeremony(c)
	if err != nil {
		return err
	}
	refundCtx := context.WithoutCancel(ctx)
	if !ok {
		if err := attempt.Cancel(refundCtx); err != nil {
			return err
		}
		return jsonRefusal(c, http.StatusBadRequest, "No passkey sign-in is under way. Press Use a passkey again.")
	}
	user, err := s.loadPasskeyUser(ctx, u)
	if err != nil {
		return err
	}
	cred, err := wa.FinishLogin(user, sd, c.Request())
	if err != nil {
		s.Logger.Info("second factor failed", "email", u.Email, "ip", c.RealIP(), "factor", "passkey")
		return jsonRefusal(c, http.StatusUnprocessableEntity, "The passkey was not accepted. Try again, or use a code.")
	}
	if cred.Authenticator.CloneWarning {
		s.Logger.Warn("second factor refused", "email", u.Email, "ip", c.RealIP(), "factor", "passkey", "reason", "sign counter went back: cloned authenticator?")
		if err := s.Store.AddAudit(refundCtx, store.Audit{At: s.Now(), Actor: u.Email, Action: store.ActionPasskeyClone, Subject: u.Email,
			Detail: "sign-in refused: the passkey's sign counter did not go up, so it may have been copied"}); err != nil {
			return err
		}
		return jsonRefusal(c, http.StatusForbidden, "This passkey's sign counter went backwards, a sign that the key may have been copied, so it was not accepted. Use your authenticator app or a recovery code, then remove this passkey on Your account and add it again; tell your administrator.")
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	if err := s.Store.UpdateFactorSecret(ctx, u.ID, user.factors[string(cred.ID)], raw); err != nil {
		return err
	}
	if err := attempt.Succeeded(refundCtx); err != nil {
		return err
	}
	next := stringValue(c, sessNext)
	if err := s.startSession(c, id); err != nil {
		return err
	}
	s.Logger.Info("signed in", "user", u.Email, "factor", "passkey")
	return c.JSON(http.StatusOK, map[string]string{"redirect": safeNext(next)})
}
