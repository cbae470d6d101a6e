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
// who changed it and when. What the save changes is decided by token.Save
// inside the store's write, from the values it reads there.
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
	f := &tokenForm{sc: sc, p: p, tok: &t, in: &in, pending: s.openPending(c, p, t.ID).forInput(p, in), version: version}
	if action := c.FormValue("action"); action != "" && action != "save" {
		return s.runAction(c, f, action)
	}

	f.errs = token.Validate(p, in, token.SecretsHeld(p, &t, f.pending.Secrets, f.pending.Grant))
	if f.errs != nil {
		f.pending = keepTyped(p, in, f.pending)
		return s.renderTokenForm(c, http.StatusUnprocessableEntity, f)
	}
	form := s.saveForm(c, in, f.pending)
	ed, err := s.Store.EditToken(c.Request().Context(), t.ID, version, currentUser(c).Email, func(cur token.Current) (token.Change, error) {
		return token.Save(p, form, &cur)
	})
	if errs := token.RefusedFields(err); errs != nil {
		f.errs = errs
		f.pending = keepTyped(p, in, f.pending)
		return s.renderTokenForm(c, http.StatusUnprocessableEntity, f)
	}
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
	saved := ed.Token
	if ed.Change.NewKeyPair {
		// A key pair made by this save is not registered anywhere yet.
		s.flashSaved(c, saved, fmt.Sprintf("Access token “%s” saved. Register its new key pair at the service (below) before it can get an access token.", saved.Name))
		s.wakeRenewer()
		return c.Redirect(http.StatusSeeOther, sc.tokenURL(t.ID))
	}
	if len(ed.Changed) == 0 {
		s.flash(c, fmt.Sprintf("Nothing changed in “%s”.", saved.Name))
	} else if ed.Change.Moved != "" {
		// Its test runs without the dropped token (Client Credentials get
		// one from the new address with the secret typed for it).
		tested, _ := s.testSaved(c, p, ed.Values)
		s.flashWarn(c, movedMessage(p, saved, ed.Change.Moved)+tested)
	} else {
		s.flashSavedTested(c, p, saved, ed.Values, fmt.Sprintf("Access token “%s” saved.", saved.Name))
	}
	s.wakeRenewer()
	return c.Redirect(http.StatusSeeOther, sc.Base)
}

// movedMessage is the flash of a save that moved the token's address and
// so dropped its access token (token.Save): what to do next.
func movedMessage(p provider.Provider, t token.Token, moved string) string {
	get := "Get a new access token"
	for _, fd := range p.Fields {
		if fd.Control == provider.Button && fd.Action != p.SaveTest {
			get = "Press " + fd.Label + " on its page"
			break
		}
	}
	return fmt.Sprintf("Access token “%s” saved. The %s changed, so its stored access token was dropped: a token is only sent to the address it was obtained from. "+
		"%s to get one from the new address.", t.Name, moved, get)
}
