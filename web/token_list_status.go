package web

import (
	"context"
	"slices"

	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
)

// sortStatus orders the token list by status, then by name.
const sortStatus = "status"

// statusOrder is the order "sort by Status" lists statuses in: the Status
// filter's (trouble first). Kept apart so that a change to the statuses
// changes it in one place.
func statusOrder() []string { return listStatuses() }

// listTokensByStatus reads one page of f in status order (reversed when
// f.Desc), by name within a status: each status's tokens come from the
// Status filter's own query (and its indexes), from the cursor's status
// on, until the page is full. f.Status, if set, keeps that status only.
// counts are the scope's tokens in some statuses (the list's alerts,
// counted at the same now): a status counted 0 holds none of f's, so it
// is not asked (most are empty, and each ask costs a few queries).
func (s *Server) listTokensByStatus(ctx context.Context, f store.TokenFilter, counts map[string]int) ([]token.Token, store.TokenPage, error) {
	order := statusOrder()
	if f.Desc {
		slices.Reverse(order)
	}
	backward := f.Before != nil
	cur, step, start := f.After, 1, 0
	if backward {
		cur, step, start = f.Before, -1, len(order)-1
	}
	if cur != nil {
		start = slices.Index(order, cur.Status) // readCursor checked it is one
	}
	want := f.Limit + 1 // one more says whether another page follows
	var toks []token.Token
	var cursors []store.TokenCursor
	for i := start; i >= 0 && i < len(order) && len(toks) < want; i += step {
		st := order[i]
		if f.Status != "" && f.Status != st {
			continue
		}
		if n, counted := counts[st]; counted && n == 0 {
			continue
		}
		g := f
		g.Sort, g.Status, g.Retired, g.Limit, g.After, g.Before = store.SortName, "", nil, want-len(toks), nil, nil
		if cur != nil && st == cur.Status {
			if backward {
				g.Before = cur
			} else {
				g.After = cur
			}
		}
		statusFilter(&g, st)
		got, _, err := s.Store.ListTokens(ctx, g)
		if err != nil {
			return nil, store.TokenPage{}, err
		}
		at := make([]store.TokenCursor, len(got))
		for j, t := range got {
			at[j] = store.TokenCursorOf(t)
			at[j].Status = st
		}
		if backward {
			toks, cursors = append(got, toks...), append(at, cursors...)
		} else {
			toks, cursors = append(toks, got...), append(cursors, at...)
		}
	}
	more := len(toks) > f.Limit
	var pg store.TokenPage
	if more {
		if backward {
			toks, cursors = toks[len(toks)-f.Limit:], cursors[len(cursors)-f.Limit:]
		} else {
			toks, cursors = toks[:f.Limit], cursors[:f.Limit]
		}
	}
	if backward {
		pg.HasPrev, pg.HasNext = more, len(toks) > 0
	} else {
		pg.HasPrev, pg.HasNext = f.After != nil, more
	}
	if len(toks) > 0 {
		pg.First, pg.Last = cursors[0], cursors[len(cursors)-1]
	}
	return toks, pg, nil
}
