package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tokendesk/tokendesk/internal/token"
)

// The token list shows, on every view, how many of the scope's tokens are
// in each troubled status (its banner): eight counts, a third of a plain
// list's time at 100,000 tokens. They change only when a token is written
// or when the clock crosses an expiry or a refresh token's end, so
// StatusCounts keeps them and answers again from memory while neither has
// happened: the change log (whose ids grow in commit order, on PostgreSQL
// too: changes_log takes a lock for it) has nothing newer, and the clock
// has not reached the first instant at which a token's status would turn.
//
// Every column a status is decided from writes the change log (migrations
// 00006, 00010, 00024, 00032), so the counts are always those CountStatus
// would give at that now.

// statusCountsKept bounds the kept answers (one per scope and set of
// statuses asked for, or per list narrowing sized): beyond it they are all
// forgotten.
const statusCountsKept = 256

type statusCounts struct {
	mu sync.Mutex
	// windows: per scope, the span the kept answers hold for.
	windows map[int64]countWindow
	m       map[string]keptCounts
	// recounts counts the times the database was asked (tests).
	recounts int
}

// countWindow is a span of time and of the change log within which no
// token of a scope changes status: counted at change, from ≤ now < until
// (Unix ms).
type countWindow struct {
	change, from, until int64
}

type keptCounts struct {
	window countWindow
	counts map[string]int
}

// countWindow is the window now falls in for a scope: the kept one while
// it holds, else a new one from now (and the answers kept in the old one
// are not used again).
func (s *Store) countWindow(ctx context.Context, appID int64, now time.Time) (countWindow, error) {
	// Read before counting: a write committed meanwhile leaves answers
	// kept under an older id, which the next view counts again.
	change, err := s.LatestChange(ctx)
	if err != nil {
		return countWindow{}, err
	}
	n := ms(now)
	c := &s.statusCounts
	c.mu.Lock()
	w, ok := c.windows[appID]
	c.mu.Unlock()
	if ok && w.change == change && w.from <= n && n < w.until {
		return w, nil
	}
	// The end before counting, too: a token that expires while counting
	// ends the window sooner.
	until, err := s.statusTurns(ctx, appID, now)
	if err != nil {
		return countWindow{}, err
	}
	w = countWindow{change: change, from: n, until: until}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.windows == nil || len(c.windows) >= statusCountsKept {
		c.windows = map[int64]countWindow{}
	}
	c.windows[appID] = w
	return w, nil
}

// kept is the answer kept under key in window w, if any.
func (c *statusCounts) kept(key string, w countWindow) (map[string]int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m[key]
	if !ok || k.window != w {
		return nil, false
	}
	return k.counts, true
}

// keep keeps counts under key for window w.
func (c *statusCounts) keep(key string, w countWindow, counts map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recounts++
	if c.m == nil || len(c.m) >= statusCountsKept {
		c.m = map[string]keptCounts{}
	}
	c.m[key] = keptCounts{window: w, counts: counts}
}

// StatusCounts is CountStatus for each of statuses, counted once and then
// kept while no token is written and no token's status turns with the
// clock.
func (s *Store) StatusCounts(ctx context.Context, appID int64, statuses []string, now time.Time, retired ...string) (map[string]int, error) {
	w, err := s.countWindow(ctx, appID, now)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("counts|%d|%s|%s", appID, strings.Join(statuses, "\x00"), strings.Join(retired, "\x00"))
	if counts, ok := s.statusCounts.kept(key, w); ok {
		return cloneCounts(counts), nil
	}
	counts := make(map[string]int, len(statuses))
	for _, st := range statuses {
		if counts[st], err = s.CountStatus(ctx, appID, st, now, retired...); err != nil {
			return nil, err
		}
	}
	s.statusCounts.keep(key, w, counts)
	return cloneCounts(counts), nil
}

func cloneCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// statusTurnsSQL finds, for a scope at now, the earliest instant after now
// at which a condition of statusSQL that depends on the clock turns for
// some token: an access token expires (expires_at <= now), one comes
// within ExpiresSoon of it (expires_at < now+ExpiresSoon), a planned
// renewal's time passes (next_renewal_at > now), a refresh token runs out
// or comes within RefreshWarning of it. Each is the first entry of an
// index past a bound; the renewal plan's is over every scope (its index
// has no scope: sooner, never later).
func statusTurnsSQL(appID int64, now time.Time) (string, []any) {
	n, ss, w := ms(now), ms(now.Add(token.ExpiresSoon)), ms(now.Add(token.RefreshWarning))
	q := "SELECT" +
		" (SELECT min(expires_at) FROM tokens INDEXED BY tokens_scope_expires WHERE ifnull(app_id, 0) = ? AND expires_at IS NOT NULL AND expires_at > ?)," +
		" (SELECT min(expires_at) FROM tokens INDEXED BY tokens_scope_expires WHERE ifnull(app_id, 0) = ? AND expires_at IS NOT NULL AND expires_at >= ?)," +
		" (SELECT min(next_renewal_at) FROM tokens INDEXED BY tokens_next_renewal WHERE next_renewal_at IS NOT NULL AND next_renewal_at > ?)," +
		" (SELECT min(refresh_expires_at) FROM tokens INDEXED BY tokens_scope_refresh WHERE ifnull(app_id, 0) = ? AND refresh_expires_at IS NOT NULL AND refresh_expires_at > ?)," +
		" (SELECT min(refresh_expires_at) FROM tokens INDEXED BY tokens_scope_refresh WHERE ifnull(app_id, 0) = ? AND refresh_expires_at IS NOT NULL AND refresh_expires_at > ?)"
	return q, []any{appID, n, appID, ss, n, appID, n, appID, w}
}

// statusTurns is statusTurnsSQL's instant (Unix ms; the largest int64 when
// nothing turns).
func (s *Store) statusTurns(ctx context.Context, appID int64, now time.Time) (int64, error) {
	q, args := statusTurnsSQL(appID, now)
	var expires, soon, renewal, refresh, warn sql.NullInt64
	if err := s.queryRow(ctx, q, args...).Scan(&expires, &soon, &renewal, &refresh, &warn); err != nil {
		return 0, fmt.Errorf("store: counting tokens: %w", err)
	}
	until := int64(1<<63 - 1)
	turn := func(v sql.NullInt64, less time.Duration) {
		if v.Valid {
			until = min(until, v.Int64-less.Milliseconds())
		}
	}
	turn(expires, 0)              // expires_at <= now from then on
	turn(soon, token.ExpiresSoon) // expires_at < now+ExpiresSoon from a little after: sooner is safe
	turn(renewal, 0)              // next_renewal_at > now no longer
	turn(refresh, 0)              // refresh_expires_at <= now
	turn(warn, token.RefreshWarning)
	return until, nil
}

// narrowingSize is how many tokens of f's scope nw's range holds, counted
// up to limit (chooseNarrowing's sizing, a walk of up to thousands of
// index entries on each view of a Status filter or of the list sorted by
// Status). A status's range is kept like the banner's counts: its
// arguments that are numbers are instants of now, and within the scope's
// count window no token crosses one, so the range holds the same tokens;
// its others (retired providers) are part of the key. A name prefix's is
// counted each time.
func (s *Store) narrowingSize(ctx context.Context, f TokenFilter, nw narrowing, limit int) (int, error) {
	count := func() (int, error) {
		var n int
		err := s.listRow(ctx, "SELECT count(*) FROM (SELECT 1 FROM tokens INDEXED BY "+nw.index+
			" WHERE ifnull(app_id, 0) = ? AND "+nw.cond+" LIMIT ?) AS narrowing", append(append([]any{f.AppID}, nw.args...), limit)...).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("store: sizing a token list: %w", err)
		}
		return n, nil
	}
	if f.Status == "" || nw.index == "tokens_scope_name" {
		return count()
	}
	w, err := s.countWindow(ctx, f.AppID, f.Now)
	if err != nil {
		return 0, err
	}
	var named []string
	for _, a := range nw.args {
		if p, ok := a.(string); ok {
			named = append(named, p)
		}
	}
	key := fmt.Sprintf("size|%d|%s|%s|%d|%s", f.AppID, nw.index, nw.cond, limit, strings.Join(named, "\x00"))
	if kept, ok := s.statusCounts.kept(key, w); ok {
		return kept[""], nil
	}
	n, err := count()
	if err != nil {
		return 0, err
	}
	s.statusCounts.keep(key, w, map[string]int{"": n})
	return n, nil
}
