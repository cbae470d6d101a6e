package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
	"github.com/tokendesk/tokendesk/views"
)

const tokensPerPage = 100

// listTokens is the Access Tokens screen: search by name, filter by type.
func (s *Server) listTokens(c echo.Context) error {
	pageNo, _ := strconv.Atoi(c.QueryParam("page"))
	pageNo = max(pageNo, 1)
	f := store.TokenFilter{Query: strings.TrimSpace(c.QueryParam("q")), Provider: c.QueryParam("type"),
		Limit: tokensPerPage, Offset: (pageNo - 1) * tokensPerPage}
	if len(f.Query) > 200 {
		f.Query = f.Query[:200]
	}
	if _, ok := registry.ByID(f.Provider); !ok {
		f.Provider = ""
	}
	sc := scopeOf(c)
	f.AppID = sc.AppID
	toks, total, err := s.Store.ListTokens(c.Request().Context(), f)
	if err != nil {
		return err
	}
	m := views.TokenListPage{
		Page:      s.page(c, sc.heading(), sc.nav(), sc.crumbs()[:len(sc.crumbs())-1]...),
		Heading:   sc.heading(),
		Global:    sc.App == nil,
		Query:     f.Query,
		Filtered:  f.Query != "" || f.Provider != "",
		AddURL:    sc.Base + "/new",
		ListURL:   sc.Base,
		RemoveURL: sc.Base + "/remove",
		Rows:      make([]views.TokenRow, 0, len(toks)),
		Total:     total,
		First:     f.Offset + 1,
		Last:      f.Offset + len(toks),
	}
	pageURL := func(n int) string {
		q := url.Values{}
		if f.Query != "" {
			q.Set("q", f.Query)
		}
		if f.Provider != "" {
			q.Set("type", f.Provider)
		}
		q.Set("page", strconv.Itoa(n))
		return sc.Base + "?" + q.Encode()
	}
	if pageNo > 1 {
		m.PrevURL = pageURL(pageNo - 1)
	}
	if f.Offset+len(toks) < total {
		m.NextURL = pageURL(pageNo + 1)
	}
	for _, p := range registry.All() {
		m.Types = append(m.Types, views.Option{Value: p.ID, Label: p.Name, Selected: p.ID == f.Provider})
	}
	for _, t := range toks {
		m.Rows = append(m.Rows, tokenRow(t, sc.tokenURL(t.ID), s.Now()))
	}
	return render(c, http.StatusOK, views.TokenList(m))
}

func tokenRow(t token.Token, url string, now time.Time) views.TokenRow {
	typ := t.Provider
	p, ok := registry.ByID(t.Provider)
	if ok {
		typ = p.Name
	}
	return views.TokenRow{
		ID: t.ID, Name: t.Name, URL: url, Type: typ, Encrypted: t.Encrypted,
		RenewalRate: token.RateLabel(t.Rate), Description: t.Description,
		ChangedBy: t.UpdatedBy, ChangedAt: t.UpdatedAt,
		Status: token.StatusOf(p, t.Rate, t.Renewal, now),
	}
}
