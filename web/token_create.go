package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
)

// createToken saves a new token, or runs one of the form's buttons.
func (s *Server) createToken(c echo.Context) error {
	p, err := providerParam(c)
	if err != nil {
		return err
	}
	in := token.Normalize(p, c.FormValue)
	sc := scopeOf(c)
	f := &tokenForm{sc: sc, p: p, in: &in, pending: s.openPending(c, p, 0)}
	if action := c.FormValue("action"); action != "" && action != "save" {
		return s.runAction(c, f, action)
	}

	f.errs = token.Validate(p, in, token.SecretsHeld(p, nil, f.pending.Secrets, f.pending.Grant))
	if f.errs != nil {
		f.pending = keepTyped(p, in, f.pending)
		return s.renderTokenForm(c, http.StatusUnprocessableEntity, f)
	}
	ch, err := token.Save(p, s.saveForm(c, in, f.pending), nil)
	if err != nil {
		return err
	}
	t, err := s.Store.CreateToken(c.Request().Context(), ch, currentUser(c).Email)
	if errors.Is(err, store.ErrDuplicateName) {
		f.errs = token.FieldErrors{provider.KeyName: sc.duplicateName(in.Values[provider.KeyName])}
		f.pending = keepTyped(p, in, f.pending)
		return s.renderTokenForm(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	// A new key pair must be registered at the provider before the token
	// works: land on the token's page, where its public key is shown.
	if ch.NewKeyPair {
		s.flashSaved(c, t, fmt.Sprintf("Access token “%s” saved. Register its key pair at the service (below) before it can get an access token.", t.Name))
		s.wakeRenewer()
		return c.Redirect(http.StatusSeeOther, sc.tokenURL(t.ID))
	}
	// A new token holds just what the change set.
	s.flashSavedTested(c, p, t, ch.Set, fmt.Sprintf("Access token “%s” saved.", t.Name))
	s.wakeRenewer()
	return c.Redirect(http.StatusSeeOther, sc.Base)
}
