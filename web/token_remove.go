package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/views"
)

// confirmRemoveTokens names the selected tokens and asks before removing.
func (s *Server) confirmRemoveTokens(c echo.Context) error {
	sc := scopeOf(c)
	ids := parseIDs(c.QueryParams()["id"])
	if len(ids) == 0 {
		s.flashError(c, "Select at least one token to remove.")
		return c.Redirect(http.StatusSeeOther, sc.Base)
	}
	toks, err := s.Store.TokensByIDs(c.Request().Context(), sc.AppID, ids)
	if err != nil {
		return err
	}
	if len(toks) == 0 {
		s.flashError(c, "Those tokens no longer exist.")
		return c.Redirect(http.StatusSeeOther, sc.Base)
	}
	m := views.RemovePage{
		Page:    s.page(c, "Remove access tokens", sc.nav(), append(sc.crumbs(), views.Crumb{Label: "Remove"})...),
		PostURL: sc.Base + "/remove", CancelURL: sc.Base,
	}
	for _, t := range toks {
		m.Names = append(m.Names, t.Name)
		m.IDs = append(m.IDs, t.ID)
		if sc.App == nil {
			// Show who uses a global token before it goes.
			assoc, err := s.Store.TokenAssociations(c.Request().Context(), t.ID)
			if err != nil {
				return err
			}
			for _, a := range assoc {
				m.InUse = append(m.InUse, fmt.Sprintf("“%s” was fetched by %s %s, last %s.", t.Name, a.AppName, views.Plural(int(a.Count), "time", "times"), views.When(a.Last)))
			}
		}
	}
	return render(c, http.StatusOK, views.Remove(m))
}

// removeTokens removes the confirmed tokens in one transaction.
func (s *Server) removeTokens(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return userError(http.StatusBadRequest, "The form could not be read.")
	}
	sc := scopeOf(c)
	ids := parseIDs(form["id"])
	if len(ids) == 0 {
		s.flashError(c, "Select at least one token to remove.")
		return c.Redirect(http.StatusSeeOther, sc.Base)
	}
	names, err := s.Store.DeleteTokens(c.Request().Context(), sc.AppID, ids, currentUser(c).Email)
	if err != nil {
		return err
	}
	switch len(names) {
	case 0:
		s.flashWarn(c, "Nothing was removed: those tokens are not in this list (already removed, or never here).")
	case 1:
		s.flash(c, fmt.Sprintf("Removed access token “%s”.", names[0]))
	default:
		s.flash(c, fmt.Sprintf("Removed %d access tokens: %s.", len(names), strings.Join(names, ", ")))
	}
	return c.Redirect(http.StatusSeeOther, sc.Base)
}

// parseIDs keeps the valid, distinct ids (at most 1,000).
func parseIDs(raw []string) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, r := range raw {
		id, err := strconv.ParseInt(r, 10, 64)
		if err != nil || id <= 0 || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
		if len(out) == 1000 {
			break
		}
	}
	return out
}
