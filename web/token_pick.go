package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/oauth"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/views"
)

// Picker groups after the catalogue's own (oauth.Groups).
const (
	groupOwnMethod = "Vendors with their own method"
	groupRetired   = "Retired by their vendor"
)

// pickProvider is the first step of Add Token: which external system. The
// services come in groups, by name within each; ?q= leaves those whose name, description,
// group or other names hold it (the search form works without
// JavaScript; with it, the same filter applies as one types). The
// generic OAuth 2.0 comes last, whatever the search: the way to a
// service the catalogue does not know.
func (s *Server) pickProvider(c echo.Context) error {
	sc := scopeOf(c)
	q := strings.TrimSpace(c.QueryParam("q"))
	// Cut by characters, not bytes: the search is shown back in its box,
	// and half a character there is a broken one.
	if r := []rune(q); len(r) > 100 {
		q = string(r[:100])
	}
	m := views.PickerPage{
		Page:      s.page(c, "Add Token", sc.nav(), append(sc.crumbs(), views.Crumb{Label: "Add Token"})...),
		SearchURL: sc.Base + "/new",
		Query:     q,
	}
	order := append(append([]string{}, oauth.Groups...), groupOwnMethod, groupRetired)
	byGroup := map[string][]views.PickerCard{}
	for _, p := range registry.All() {
		card := views.PickerCard{Name: p.Name, Detail: p.Detail, URL: sc.Base + "/new/" + p.ID, Retired: p.Retired}
		if p.ID == oauth.ID {
			m.Generic = card
			continue
		}
		group := pickerGroup(p)
		card.Search = strings.ToLower(strings.Join([]string{p.Name, p.Detail, group, pickerAlso(p.ID)}, " "))
		m.Total++
		if !pickerMatches(card.Search, q) {
			continue
		}
		m.Shown++
		byGroup[group] = append(byGroup[group], card)
	}
	for _, g := range order {
		cards := byGroup[g]
		// By name within a group (DESIGN.md, Providers).
		slices.SortStableFunc(cards, func(a, b views.PickerCard) int {
			return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		})
		if len(cards) > 0 {
			m.Groups = append(m.Groups, views.PickerGroup{Name: g, ID: groupID(g), Cards: cards})
		}
	}
	return render(c, http.StatusOK, views.Picker(m))
}

func pickerGroup(p provider.Provider) string {
	switch {
	case p.Retired != "":
		return groupRetired
	case oauth.GroupOf(p.ID) != "":
		return oauth.GroupOf(p.ID)
	}
	return groupOwnMethod
}

func pickerAlso(id string) string {
	if ps, ok := oauth.PresetByID(id); ok {
		return ps.Also
	}
	return ""
}

// pickerMatches: every word of q is somewhere in the card's text.
func pickerMatches(text, q string) bool {
	for _, w := range strings.Fields(strings.ToLower(q)) {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}

// groupID is a group's name as an HTML id: "CRM and marketing" → "crm-and-marketing".
func groupID(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
