package web

import (
	"context"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/token"
)

// testSaved runs the provider's test (Test Connection) on a token just
// saved, with its values as the save stored them, and says the outcome for the save's
// flash message: "" when there is nothing to test. The save stands
// whatever the test says: a service that is down, or credentials that
// are not registered yet, never lose what the person typed.
func (s *Server) testSaved(c echo.Context, p provider.Provider, values map[string]string) (text string, ok bool) {
	if p.SaveTest == "" || p.Actions[p.SaveTest] == nil || p.Retired != "" {
		return "", true
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), actionTimeout)
	defer cancel()
	env := s.providerEnv()
	res := p.Actions[p.SaveTest](ctx, env, values)
	if res.Untested {
		return "", true
	}
	label := actionLabel(p, p.SaveTest)
	s.Logger.Info("provider call", "provider", p.ID, "action", p.SaveTest, "on", "save", "ok", res.OK, "request_id", requestID(c))
	if !res.OK {
		return " Its test (" + label + ") failed: " + strings.TrimSpace(res.Summary), false
	}
	// A token obtained for the test is not the one kept: the advice to
	// press Save is for the form's button, not for a save.
	text = " Tested (" + label + "): " + strings.TrimSuffix(strings.TrimSpace(res.Summary), " Press Save to keep it.")
	if res.Warning != "" {
		text += " " + strings.TrimSpace(res.Warning)
	}
	return text, true
}

// flashSavedTested is flashSaved with the outcome of the save's test; a
// failed test makes the message a warning.
func (s *Server) flashSavedTested(c echo.Context, p provider.Provider, t token.Token, values map[string]string, msg string) {
	tested, ok := s.testSaved(c, p, values)
	if !ok {
		s.flashWarn(c, msg+tested+" The token was saved; fix what the test names and save again.")
		return
	}
	s.flashSaved(c, t, msg+tested)
}
