package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/transfer/tokenfile"
)

// confirmImport writes the tokens of a previewed file as the person chose,
// in one transaction, and uses the preview up.
func (s *Server) confirmImport(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return userError(http.StatusBadRequest, "The form could not be read.")
	}
	sc := scopeOf(c)
	ctx := c.Request().Context()
	u := currentUser(c)
	draftID := form.Get("draft")
	expired := func() error {
		return s.renderImport(c, http.StatusUnprocessableEntity, map[string]string{"file": "That preview has expired, was replaced by a newer upload (one preview waits per person), or was already imported; nothing was written by this request. Choose the file again."})
	}
	if draftID == "" || len(draftID) > 64 {
		return expired()
	}
	sealed, err := s.Store.ImportDraft(ctx, draftID, u.ID, sc.AppID)
	if errors.Is(err, store.ErrNotFound) {
		return expired()
	}
	if err != nil {
		return err
	}
	plain, err := s.Box.Open(sealed, importDraftAAD(draftID, u.ID, sc.AppID))
	if err != nil {
		return expired()
	}
	var d tokenfile.Draft
	if err := json.Unmarshal(plain, &d); err != nil {
		return expired()
	}
	choices := map[int]tokenfile.Choice{}
	for i := range d.Tokens {
		n := strconv.Itoa(i)
		choices[i] = tokenfile.Choice{Choice: form.Get("choice-" + n), Rename: strings.TrimSpace(form.Get("rename-" + n))}
	}
	plan, problems, err := s.planImport(c, d, choices)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		// Only a change on this server (an app renamed away, …) gets here.
		return s.renderImport(c, http.StatusUnprocessableEntity, map[string]string{"file": tokenfile.Problems(problems)})
	}
	items, invalid, err := tokenfile.Items(ctx, s.Store, sc.file(), plan)
	if err != nil {
		return err
	}
	if invalid {
		return s.renderPreview(c, http.StatusUnprocessableEntity, draftID, d, plan, "Some choices need another look; see the marked rows. Nothing was imported yet.")
	}
	if len(items) == 0 {
		return s.renderPreview(c, http.StatusUnprocessableEntity, draftID, d, plan, "Every token is set to Skip: choose Import, Replace or Import as for at least one.")
	}
	written, err := s.Store.ImportTokens(ctx, sc.AppID, draftID, items, u.Email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return expired()
	case errors.Is(err, store.ErrDuplicateName), errors.Is(err, store.ErrStale):
		plan, _, perr := s.planImport(c, d, choices)
		if perr != nil {
			return perr
		}
		return s.renderPreview(c, http.StatusUnprocessableEntity, draftID, d, plan,
			"Tokens of this list changed while you looked at the preview, so nothing was imported. Check the choices against what the list holds now and import again.")
	case err != nil:
		return err
	}
	if msg, warn := tokenfile.Imported(written); warn {
		s.flashWarn(c, msg)
	} else {
		s.flash(c, msg)
	}
	s.wakeRenewer()
	return c.Redirect(http.StatusSeeOther, sc.Base)
}
