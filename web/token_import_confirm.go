package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
	"github.com/tokendesk/tokendesk/views"
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
		return s.renderImport(c, http.StatusUnprocessableEntity, map[string]string{"file": "That preview has expired or was already imported; nothing was written by this request. Choose the file again."})
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
	var d importDraft
	if err := json.Unmarshal(plain, &d); err != nil {
		return expired()
	}
	choices := map[int]importChoice{}
	for i := range d.Tokens {
		n := strconv.Itoa(i)
		choices[i] = importChoice{choice: form.Get("choice-" + n), rename: strings.TrimSpace(form.Get("rename-" + n))}
	}
	plan, problems, err := s.planImport(c, d, choices)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		// Only a change on this server (an app renamed away, …) gets here.
		return s.renderImport(c, http.StatusUnprocessableEntity, map[string]string{"file": importProblems(problems)})
	}
	items, invalid, err := s.importItems(c, plan)
	if err != nil {
		return err
	}
	if invalid {
		return s.renderPreview(c, http.StatusUnprocessableEntity, draftID, d, plan, "Some choices need another look; see the marked rows. Nothing was imported yet.")
	}
	if len(items) == 0 {
		return s.renderPreview(c, http.StatusUnprocessableEntity, draftID, d, plan, "Every token is set to Skip: choose Import, Replace or Import as for at least one.")
	}
	err = s.Store.ImportTokens(ctx, sc.AppID, draftID, items, u.Email)
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
	names := make([]string, 0, len(items))
	for _, it := range items {
		names = append(names, it.Change.Name)
	}
	s.flash(c, fmt.Sprintf("Imported %s: %s.", views.Plural(len(names), "access token", "access tokens"), strings.Join(names, ", ")))
	s.wakeRenewer()
	return c.Redirect(http.StatusSeeOther, sc.Base)
}

// importItems turns the chosen tokens of plan into the store's items,
// checking a rename by the name rules. invalid says a row got an error.
func (s *Server) importItems(c echo.Context, plan []*plannedToken) (items []store.ImportItem, invalid bool, err error) {
	sc := scopeOf(c)
	ctx := c.Request().Context()
	taken := map[string]bool{}
	for _, pt := range plan {
		if pt.choice == chooseImport || pt.choice == chooseReplace {
			taken[token.NameKey(pt.in.Values[provider.KeyName])] = true
		}
	}
	for _, pt := range plan {
		in := pt.in
		var replace, version int64
		var stored func() (map[string]string, error)
		switch pt.choice {
		case chooseSkip:
			continue
		case chooseReplace:
			replace, version = pt.existing.ID, pt.existing.Version
			stored = func() (map[string]string, error) { return s.Store.TokenValues(ctx, replace) }
		case chooseRename:
			if msg := s.renameError(c, pt, taken); msg != "" {
				pt.renameErr, invalid = msg, true
				continue
			}
			in.Values = maps.Clone(in.Values)
			in.Values[provider.KeyName] = token.Normalize(pt.p, func(k string) string {
				if k == provider.KeyName {
					return pt.rename
				}
				return ""
			}).Values[provider.KeyName]
			taken[token.NameKey(pt.rename)] = true
		}
		ch, err := token.FromImport(pt.p, token.Import{Input: in, AppID: sc.AppID, AllowPlain: sc.Plain, Kept: pt.kept}, stored)
		if err != nil {
			return nil, false, err
		}
		if replace != 0 {
			// As on the form (token_endpoint.go): the stored secrets and
			// refresh token are never kept for another Token URL.
			moved, st, err := s.changedEndpoint(ctx, pt.p, in, pt.existing)
			if err != nil {
				return nil, false, err
			}
			if moved != "" {
				for _, fd := range pt.p.Fields {
					if fd.Secret && fd.Key != pt.p.Tokens.Access && in.Values[fd.Key] == "" && st[fd.Key] != "" {
						delete(ch.Set, fd.Key)
						ch.Clear = append(ch.Clear, fd.Key)
					}
				}
				if r := pt.p.Tokens.Refresh; r != "" {
					ch.Clear = append(ch.Clear, r)
				}
			}
		}
		items = append(items, store.ImportItem{Change: ch, Replace: replace, Version: version, Access: pt.access})
	}
	return items, invalid, nil
}

// renameError checks a conflict's new name as the form would, and that
// neither the list nor the import already has it.
func (s *Server) renameError(c echo.Context, pt *plannedToken, taken map[string]bool) string {
	if pt.rename == "" {
		return "Enter a new name to import this token under, or choose Skip."
	}
	in := token.Normalize(pt.p, func(k string) string {
		if k == provider.KeyName {
			return pt.rename
		}
		return ""
	})
	nameField, _ := pt.p.Field(provider.KeyName)
	if errs := token.Validate(provider.Provider{Name: pt.p.Name, Fields: []provider.Field{nameField}}, in, nil); errs[provider.KeyName] != "" {
		return errs[provider.KeyName]
	}
	key := token.NameKey(in.Values[provider.KeyName])
	if taken[key] {
		return "Another token of this import has that name. Choose another."
	}
	ex, err := s.Store.TokensByNames(c.Request().Context(), scopeOf(c).AppID, []string{in.Values[provider.KeyName]})
	if err == nil && len(ex) > 0 { // a failed look-up leaves it to the import's own unique check
		return scopeOf(c).duplicateName(in.Values[provider.KeyName])
	}
	return ""
}
