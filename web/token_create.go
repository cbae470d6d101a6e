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

	f.errs = token.Validate(p, in, storedSecrets(p, nil, f.pending))
	if f.errs != nil {
		f.pending = keepTyped(p, in, f.pending)
		return s.renderTokenForm(c, http.StatusUnprocessableEntity, f)
	}
	spec := s.spec(p, in, f.pending, sc)
	if err := s.addGenerated(c.Request().Context(), p, &spec, 0); err != nil {
		return err
	}
	t, err := s.Store.CreateToken(c.Request().Context(), spec, currentUser(c).Email)
	if errors.Is(err, store.ErrDuplicateName) {
		f.errs = token.FieldErrors{provider.KeyName: sc.duplicateName(in.Values[provider.KeyName])}
		f.pending = keepTyped(p, in, f.pending)
		return s.renderTokenForm(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	s.flashSaved(c, t, fmt.Sprintf("Access token “%s” saved.", t.Name))
	s.wakeRenewer()
	return c.Redirect(http.StatusSeeOther, sc.Base)
}
