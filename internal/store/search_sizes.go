package store

import (
	"sync"
	"time"
)

// searchSizes remembers, for a few seconds, how searchMatch sized recent
// searches. Sorted by status, the token list reads each status in turn
// with the same search, and sizing a search of a common text reads
// thousands of FTS5 entries each time. A remembered size only chooses
// how a list is read, never what it holds, so a stale one costs time at
// most.
type searchSizes struct {
	mu sync.Mutex
	m  map[string]searchSize
}

type searchSize struct {
	match    string
	n, limit int // n counted no further than limit
	at       time.Time
}

// searchSizeLife is how long a size is remembered; searchSizesKept how
// many at most.
const (
	searchSizeLife  = 5 * time.Second
	searchSizesKept = 256
)

// get answers as searchMatch would for key counted to limit, when a
// recent count says: an exact count below its own limit answers any
// limit; a count that reached its limit answers a limit no larger.
func (c *searchSizes) get(key string, limit int, now time.Time) (string, int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	z, ok := c.m[key]
	if !ok || now.Sub(z.at) > searchSizeLife || now.Before(z.at) {
		return "", 0, false
	}
	switch {
	case z.n < z.limit:
		return z.match, z.n, true
	case limit <= z.limit:
		return z.match, limit, true
	}
	return "", 0, false
}

func (c *searchSizes) put(key string, limit int, match string, n int, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= searchSizesKept {
		c.m = map[string]searchSize{} // forget all: they are seconds old at most
	}
	c.m[key] = searchSize{match: match, n: n, limit: limit, at: now}
}
