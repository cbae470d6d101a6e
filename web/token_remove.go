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
	ids := parseIDs(c.QueryParams()["id"])
	if len(ids) == 0 {
		s.flash(c, "Select at least one token to remove.")
		return c.Redirect(http.StatusSeeOther, "/tokens")
	}
	toks, err := s.Store.TokensByIDs(c.Request().Context(), 0, ids)
	if err != nil {
		return err
	}
	if len(toks) == 0 {
		s.flash(c, "Those tokens no longer exist.")
		return c.Redirect(http.StatusSeeOther, "/tokens")
	}
	m := views.RemovePage{
		Page: s.page(c, "Remove access tokens", views.NavTokens,
			views.Crumb{Label: "Access Tokens", URL: "/tokens"}, views.Crumb{Label: "Remove"}),
		PostURL: "/tokens/remove", CancelURL: "/tokens",
	}
	for _, t := range toks {
		m.Names = append(m.Names, t.Name)
		m.IDs = append(m.IDs, t.ID)
	}
	return render(c, http.StatusOK, views.Remove(m))
}

// removeTokens removes the confirmed tokens in one transaction.
func (s *Server) removeTokens(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return userError(http.StatusBadRequest, "The form could not be read.")
	}
	ids := parseIDs(form["id"])
	if len(ids) == 0 {
		s.flash(c, "Select at least one token to remove.")
		return c.Redirect(http.StatusSeeOther, "/tokens")
	}
	names, err := s.Store.DeleteTokens(c.Request().Context(), 0, ids, currentUser(c).Email)
	if err != nil {
		return err
	}
	switch len(names) {
	case 0:
		s.flash(c, "Those tokens were already removed.")
	case 1:
		s.flash(c, fmt.Sprintf("Removed access token “%s”.", names[0]))
	default:
		s.flash(c, fmt.Sprintf("Removed %d access tokens: %s.", len(names), strings.Join(names, ", ")))
	}
	return c.Redirect(http.StatusSeeOther, "/tokens")
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
