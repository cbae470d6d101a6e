package web

import (
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// picksShown is how many names a part typed in a filter offers at most.
const picksShown = 10

// pickAuditNames lets Who and Token take part of a name, any case ("ada",
// "feed"): a part of exactly one known person or token name filters by
// that name (the page says so); a part of several offers them to pick
// from; anything else filters by what was typed, whole, so that people and
// tokens no longer there (or actors such as a command) are still found.
// Each filter then stays one index range of the log (migration 00016).
func (s *Server) pickAuditNames(c echo.Context, f *store.AuditFilter, form *views.AuditFilters) error {
	form.Taken = map[string]string{}
	if form.Who != "" {
		var matches []string
		for _, p := range form.People {
			if strings.EqualFold(p, form.Who) {
				matches = []string{p}
				break
			}
			if strings.Contains(strings.ToLower(p), strings.ToLower(form.Who)) {
				matches = append(matches, p)
			}
		}
		f.Actor = s.pick(c, form, "who", "Who", form.Who, matches, f.Actor)
	}
	if form.Token != "" {
		names, err := s.Store.TokenNamesContaining(c.Request().Context(), f.Token, picksShown+1)
		if err != nil {
			return err
		}
		for _, n := range names {
			if strings.EqualFold(n, form.Token) {
				names = []string{n}
				break
			}
		}
		f.Token = s.pick(c, form, "token", "Token", form.Token, names, f.Token)
	}
	return nil
}

// pick decides what one filter filters by, given the names typed matches.
func (s *Server) pick(c echo.Context, form *views.AuditFilters, field, label, typed string, matches []string, whole string) string {
	switch {
	case len(matches) == 0:
		return whole
	case len(matches) == 1:
		if matches[0] != typed {
			form.Taken[field] = matches[0]
		}
		return matches[0]
	}
	pk := views.AuditPick{Field: field, Label: label, Typed: typed, More: len(matches) > picksShown}
	for _, m := range matches[:min(len(matches), picksShown)] {
		q := c.QueryParams()
		v := url.Values{}
		for _, p := range auditFilterParams {
			if x := strings.TrimSpace(q.Get(p)); x != "" {
				v.Set(p, x)
			}
		}
		v.Set(field, m)
		pk.Options = append(pk.Options, views.Option{Label: m, Value: "/audit?" + v.Encode()})
	}
	form.Picks = append(form.Picks, pk)
	return whole
}
