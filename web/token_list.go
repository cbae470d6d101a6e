package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
	"github.com/tokendesk/tokendesk/views"
)

const tokensPerPage = 100

// tokenStatuses are the Status filter's renewal states, in the order
// token.Statuses declares (trouble first).
var tokenStatuses = token.StatusNames()

// listStatuses are the Status filter's choices (Retired among them: the
// tokens of every retired provider, "Retired by Zoom" and the like).
func listStatuses() []string {
	return slices.Clone(tokenStatuses)
}

// retiredProviders are the providers whose vendor retired them: their
// tokens show that, not a renewal status.
func retiredProviders() []string {
	var out []string
	for _, p := range registry.All() {
		if p.Retired != "" {
			out = append(out, p.ID)
		}
	}
	return out
}

// statusFilter narrows f to a declared status: Retired is the retired
// providers' tokens; a renewal status leaves those out.
func statusFilter(f *store.TokenFilter, status string) {
	f.Status, f.Retired = status, retiredProviders()
}

// listQuery is what the list's address asks for.
type listQuery struct {
	q, typ, status, sort string
	desc                 bool
	// after or before is the page's cursor (a store.TokenCursor, encoded).
	after, before string
}

func readListQuery(c echo.Context) listQuery {
	lq := listQuery{q: strings.TrimSpace(c.QueryParam("q")), typ: c.QueryParam("type"), status: c.QueryParam("status"),
		sort: c.QueryParam("sort"), desc: c.QueryParam("dir") == "desc"}
	lq.after, lq.before = c.QueryParam("after"), c.QueryParam("before")
	if r := []rune(lq.q); len(r) > 200 { // by character: never half of one
		lq.q = string(r[:200])
	}
	if _, ok := registry.ByID(lq.typ); !ok {
		lq.typ = ""
	}
	// A status as a token shows it ("Reconnect within 3 days", "Retired by
	// Zoom") is the declared status it belongs to.
	if def, ok := token.StatusByName(lq.status); ok {
		lq.status = def.Name
	}
	if !slices.Contains(listStatuses(), lq.status) {
		lq.status = ""
	}
	switch lq.sort {
	case store.SortType, store.SortChanged, sortStatus:
	default:
		lq.sort = ""
	}
	return lq
}

// url is the list's address for lq, with the defaults left out.
func (lq listQuery) url(base string) string {
	q := url.Values{}
	for k, v := range map[string]string{"q": lq.q, "type": lq.typ, "status": lq.status, "sort": lq.sort} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if lq.desc {
		q.Set("dir", "desc")
	}
	if lq.after != "" {
		q.Set("after", lq.after)
	}
	if lq.before != "" {
		q.Set("before", lq.before)
	}
	if len(q) == 0 {
		return base
	}
	return base + "?" + q.Encode()
}

// listTokens is the Access Tokens screen: search by name, filter by type
// and status, sort by name, type or last change.
func (s *Server) listTokens(c echo.Context) error {
	lq := readListQuery(c)
	sc := scopeOf(c)
	now := s.Now()
	sortKey := lq.sort
	after, before, err := readCursor(c, func(cur store.TokenCursor) bool {
		switch sortKey {
		case store.SortType:
			return cur.Provider != "" && cur.Name != ""
		case store.SortChanged:
			return cur.ID > 0
		case sortStatus:
			return cur.Name != "" && slices.Contains(statusOrder(), cur.Status)
		}
		return cur.Name != "" && cur.Status == ""
	})
	if err != nil {
		return err
	}
	f := store.TokenFilter{AppID: sc.AppID, Query: lq.q, Provider: lq.typ, Now: now,
		Sort: lq.sort, Desc: lq.desc, Limit: tokensPerPage, After: after, Before: before}
	if lq.status != "" {
		statusFilter(&f, lq.status)
	}
	ctx := c.Request().Context()
	// Each alert counts what its link lists. (Counted first: sorted by
	// Status, the list skips the statuses they find empty.)
	// Kept between views while nothing changes (store.StatusCounts).
	counts, err := s.Store.StatusCounts(ctx, sc.AppID,
		append([]string{token.StatusFailing, token.StatusAttention, token.StatusReconnectSoon}, token.UnusableStatuses()...), now, retiredProviders()...)
	if err != nil {
		return err
	}
	var toks []token.Token
	var pg store.TokenPage
	if lq.sort == sortStatus {
		f.Sort = ""
		toks, pg, err = s.listTokensByStatus(ctx, f, counts)
	} else {
		toks, pg, err = s.Store.ListTokens(ctx, f)
	}
	if err != nil {
		return err
	}
	if before != nil && len(toks) == 0 {
		// The tokens before this place went away: the first page is what is left.
		first := lq
		first.before = ""
		return c.Redirect(http.StatusSeeOther, first.url(sc.Base))
	}
	failing := counts[token.StatusFailing]
	filtered := lq.q != "" || lq.typ != "" || lq.status != ""
	total := -1 // unknown: counting the matches would read them all
	if !filtered {
		if total, err = s.Store.ScopeTokenCount(ctx, sc.AppID); err != nil {
			return err
		}
	}
	dir := ""
	if lq.desc {
		dir = "desc"
	}
	m := views.TokenListPage{
		Page:              s.page(c, sc.heading(), sc.nav(), sc.crumbs()[:len(sc.crumbs())-1]...),
		Heading:           sc.heading(),
		Global:            sc.App == nil,
		Query:             f.Query,
		QueryPrefix:       utf8.RuneCountInString(token.NameKey(f.Query)) < store.SearchContainsMin,
		Filtered:          filtered,
		AddURL:            sc.Base + "/new",
		ListURL:           sc.Base,
		RemoveURL:         sc.Base + "/remove",
		EditURL:           sc.Base + "/edit",
		Rows:              make([]views.TokenRow, 0, len(toks)),
		Total:             total,
		Shown:             len(toks),
		Failing:           failing,
		FailingURL:        listQuery{status: token.StatusFailing}.url(sc.Base),
		Attention:         counts[token.StatusAttention],
		AttentionURL:      listQuery{status: token.StatusAttention}.url(sc.Base),
		Reconnect:         counts[token.StatusNeedsReconnect],
		ReconnectURL:      listQuery{status: token.StatusNeedsReconnect}.url(sc.Base),
		ReconnectSoon:     counts[token.StatusReconnectSoon],
		ReconnectSoonURL:  listQuery{status: token.StatusReconnectSoon}.url(sc.Base),
		ReconnectSoonDays: int(token.RefreshWarning / (24 * time.Hour)),
		Sort:              lq.sort,
		Dir:               dir,
		Headers:           map[string]views.SortHeader{},
	}
	for _, st := range token.UnusableStatuses() {
		if n := counts[st]; n > 0 {
			m.Unusable = append(m.Unusable, views.StatusCount{Name: st, Count: n, URL: listQuery{status: st}.url(sc.Base)})
			m.UnusableTotal += n
		}
	}
	if pg.HasPrev {
		prev := lq
		prev.after, prev.before = "", encodeCursor(pg.First)
		m.PrevURL = prev.url(sc.Base)
	}
	if pg.HasNext {
		next := lq
		next.after, next.before = encodeCursor(pg.Last), ""
		m.NextURL = next.url(sc.Base)
	}
	for key, label := range map[string]string{store.SortName: "Token Name", store.SortType: "Type", store.SortChanged: "Last changed", sortStatus: "Status"} {
		cur := lq.sort
		if cur == "" {
			cur = store.SortName
		}
		h := views.SortHeader{Label: label}
		to := lq
		to.after, to.before, to.sort, to.desc = "", "", key, false
		if key == store.SortName {
			to.sort = ""
		}
		if key == cur {
			h.Order = "ascending"
			if lq.desc {
				h.Order = "descending"
			}
			to.desc = !lq.desc
		}
		h.URL = to.url(sc.Base)
		m.Headers[key] = h
	}
	for _, p := range registry.All() {
		m.Types = append(m.Types, views.Option{Value: p.ID, Label: p.Name, Selected: p.ID == lq.typ})
	}
	for _, st := range listStatuses() {
		m.Statuses = append(m.Statuses, views.Option{Value: st, Label: st, Selected: st == lq.status})
	}
	for _, t := range toks {
		m.Rows = append(m.Rows, tokenRow(t, sc.tokenURL(t.ID), now))
	}
	m.ExportAllURL, m.ExportAllLabel = exportAllButton(sc, lq, total, len(toks), pg)
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
		ChangedBy: t.UpdatedBy, ChangedAt: t.UpdatedAt, ChangedAgo: views.Ago(t.UpdatedAt, now),
		Status: token.StatusOf(p, t.Rate, t.Renewal, now),
	}
}

// editSelectedToken is the list's Edit Token button: it opens the one
// selected token (the button works without JavaScript too).
func (s *Server) editSelectedToken(c echo.Context) error {
	sc := scopeOf(c)
	ids := parseIDs(c.QueryParams()["id"])
	if len(ids) != 1 {
		s.flashError(c, fmt.Sprintf("Select exactly one token to edit; %s selected.", views.Plural(len(ids), "token is", "tokens are")))
		return c.Redirect(http.StatusSeeOther, sc.Base)
	}
	return c.Redirect(http.StatusSeeOther, sc.tokenURL(ids[0]))
}
