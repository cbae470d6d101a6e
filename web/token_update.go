package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
	"github.com/tokendesk/tokendesk/views"
)

// updateToken saves an edited token, unless someone else saved it since
// the form was opened: then nothing is overwritten and the person is told
// who changed it and when.
func (s *Server) updateToken(c echo.Context) error {
	t, p, err := s.tokenParam(c)
	if err != nil {
		return err
	}
	version, err := strconv.ParseInt(c.FormValue("version"), 10, 64)
	if err != nil || version <= 0 {
		return userError(http.StatusBadRequest, "The form is missing its version. Reload the page and try again.")
	}
	in := token.Normalize(p, c.FormValue)
	sc := scopeOf(c)
	f := &tokenForm{sc: sc, p: p, tok: &t, in: &in, pending: s.openPending(c, p, t.ID), version: version}
	if action := c.FormValue("action"); action != "" && action != "save" {
		return s.runAction(c, f, action)
	}

	f.errs = token.Validate(p, in, token.SecretsHeld(p, &t, f.pending.Secrets, f.pending.Grant))
	if f.errs == nil {
		if f.errs, err = s.keyFieldErrors(c.Request().Context(), p, in, &t); err != nil {
			return err
		}
	}
	if f.errs == nil {
		if f.errs, err = s.endpointSecretErrors(c.Request().Context(), p, in, &t, f.pending); err != nil {
			return err
		}
	}
	if f.errs != nil {
		f.pending = keepTyped(p, in, f.pending)
		return s.renderTokenForm(c, http.StatusUnprocessableEntity, f)
	}
	ch, err := s.change(c, p, in, f.pending, &t)
	if err != nil {
		return err
	}
	if moved, _, err := s.changedEndpoint(c.Request().Context(), p, in, &t); err != nil {
		return err
	} else if moved != "" && f.pending.Grant == nil && p.Tokens.Refresh != "" {
		// The stored refresh token belongs to the old address: it is
		// never sent to the new one.
		ch.Clear = append(ch.Clear, p.Tokens.Refresh)
	}
	hadKeys, err := s.hasKeyPair(c.Request().Context(), p, t.ID)
	if err != nil {
		return err
	}
	saved, changed, err := s.Store.UpdateToken(c.Request().Context(), t.ID, version, ch, currentUser(c).Email)
	switch {
	case errors.Is(err, store.ErrStale):
		f.problem = fmt.Sprintf("%s changed this token at %s, after you opened it, so your changes were not saved. "+
			"Your entries are kept below; press Save again to replace their version with yours.", t.UpdatedBy, views.When(t.UpdatedAt))
		f.version = t.Version
		f.pending = keepTyped(p, in, f.pending)
		return s.renderTokenForm(c, http.StatusConflict, f)
	case errors.Is(err, store.ErrDuplicateName):
		f.errs = token.FieldErrors{provider.KeyName: sc.duplicateName(in.Values[provider.KeyName])}
		f.pending = keepTyped(p, in, f.pending)
		return s.renderTokenForm(c, http.StatusUnprocessableEntity, f)
	case err != nil:
		return err
	}
	if keys, err := s.hasKeyPair(c.Request().Context(), p, t.ID); err != nil {
		return err
	} else if keys && !hadKeys {
		// A key pair made by this save is not registered anywhere yet.
		s.flashSaved(c, saved, fmt.Sprintf("Access token “%s” saved. Register its new key pair at the service (below) before it can get an access token.", saved.Name))
		s.wakeRenewer()
		return c.Redirect(http.StatusSeeOther, sc.tokenURL(t.ID))
	}
	if len(changed) == 0 {
		s.flash(c, fmt.Sprintf("Nothing changed in “%s”.", saved.Name))
	} else {
		s.flashSavedTested(c, p, saved, fmt.Sprintf("Access token “%s” saved.", saved.Name))
	}
	s.wakeRenewer()
	return c.Redirect(http.StatusSeeOther, sc.Base)
}
