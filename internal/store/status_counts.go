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

// statusCountsKept bounds the kept counts (one entry per scope and set
// of statuses asked for): beyond it they are all forgotten.
const statusCountsKept = 256

type statusCounts struct {
	mu sync.Mutex
	m  map[string]keptCounts
	// recounts counts the times the database was asked (tests).
	recounts int
}

type keptCounts struct {
	change int64 // the change log's newest id when counted
	// from ≤ now < until (Unix ms): the instants the counts hold for.
	from, until int64
	counts      map[string]int
}

// StatusCounts is CountStatus for each of statuses, counted once and then
// kept while no token is written and no token's status turns with the
// clock.
func (s *Store) StatusCounts(ctx context.Context, appID int64, statuses []string, now time.Time, retired ...string) (map[string]int, error) {
	key := fmt.Sprintf("%d|%s|%s", appID, strings.Join(statuses, "\x00"), strings.Join(retired, "\x00"))
	// Read before counting: a write committed meanwhile leaves counts
	// kept under an older id, which the next view counts again.
	change, err := s.LatestChange(ctx)
	if err != nil {
		return nil, err
	}
	n := ms(now)
	c := &s.statusCounts
	c.mu.Lock()
	k, ok := c.m[key]
	c.mu.Unlock()
	if ok && k.change == change && k.from <= n && n < k.until {
		return cloneCounts(k.counts), nil
	}
	// The end first, too: a token that expires while counting ends them sooner.
	until, err := s.statusTurns(ctx, appID, now)
	if err != nil {
		return nil, err
	}
	counts := make(map[string]int, len(statuses))
	for _, st := range statuses {
		if counts[st], err = s.CountStatus(ctx, appID, st, now, retired...); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recounts++
	if c.m == nil || len(c.m) >= statusCountsKept {
		c.m = map[string]keptCounts{}
	}
	c.m[key] = keptCounts{change: change, from: n, until: until, counts: counts}
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
