package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
	"github.com/tokendesk/tokendesk/views"
)

// listTokens is the Access Tokens screen: search by name, filter by type.
func (s *Server) listTokens(c echo.Context) error {
	f := store.TokenFilter{Query: strings.TrimSpace(c.QueryParam("q")), Provider: c.QueryParam("type")}
	if len(f.Query) > 200 {
		f.Query = f.Query[:200]
	}
	if _, ok := registry.ByID(f.Provider); !ok {
		f.Provider = ""
	}
	toks, err := s.Store.ListTokens(c.Request().Context(), f)
	if err != nil {
		return err
	}
	m := views.TokenListPage{
		Page:      s.page(c, "Access Tokens", views.NavTokens),
		Heading:   "Access Tokens",
		Query:     f.Query,
		Filtered:  f.Query != "" || f.Provider != "",
		AddURL:    "/tokens/new",
		ListURL:   "/tokens",
		RemoveURL: "/tokens/remove",
		Rows:      make([]views.TokenRow, 0, len(toks)),
	}
	for _, p := range registry.All() {
		m.Types = append(m.Types, views.Option{Value: p.ID, Label: p.Name, Selected: p.ID == f.Provider})
	}
	for _, t := range toks {
		m.Rows = append(m.Rows, tokenRow(t))
	}
	return render(c, http.StatusOK, views.TokenList(m))
}

func tokenRow(t token.Token) views.TokenRow {
	typ := t.Provider
	if p, ok := registry.ByID(t.Provider); ok {
		typ = p.Name
	}
	return views.TokenRow{
		ID: t.ID, Name: t.Name, URL: tokenURL(t.ID), Type: typ, Encrypted: t.Encrypted,
		RenewalRate: token.RateLabel(t.Rate), Description: t.Description,
		ChangedBy: t.UpdatedBy, ChangedAt: t.UpdatedAt,
	}
}
