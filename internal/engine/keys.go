package engine

import (
	"context"
	"crypto/sha256"
	"sync"
	"sync/atomic"

	"github.com/tokendesk/tokendesk/internal/store"
	"golang.org/x/time/rate"
)

// keys is what a fetch needs of its API key, found in one lookup: the
// client and its rate limiter, by the key's SHA-256, as learnt under one
// generation of the index (index.Generation). The index's own lookup and
// the limiter's were two concurrent maps and half a dozen cache lines a
// fetch (issue 20 item 4). A new generation starts an empty map; a key
// learnt is added to a copy: keys are few and learnt once each, fetches
// many.
type keys struct {
	mu  sync.Mutex // one writer at a time
	cur atomic.Pointer[keyMap]
}

type keyMap struct {
	gen uint64
	m   map[[sha256.Size]byte]*keyed
}

// keyed is one valid key's client and rate limiter; what a fetch reads of
// it (the limiter, the client's id and its app) is its first 24 bytes,
// mostly one cache line.
type keyed struct {
	limiter *rate.Limiter
	client  store.Client
}

func (ks *keys) get(gen uint64, hash [sha256.Size]byte) *keyed {
	if km := ks.cur.Load(); km != nil && km.gen == gen {
		return km.m[hash]
	}
	return nil
}

// put remembers k for hash, learnt under gen; what was learnt under an
// older generation than the map's is dropped (it may be stale).
func (ks *keys) put(gen uint64, hash [sha256.Size]byte, k *keyed) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	old := ks.cur.Load()
	if old != nil && old.gen > gen {
		return
	}
	next := &keyMap{gen: gen, m: map[[sha256.Size]byte]*keyed{hash: k}}
	if old != nil && old.gen == gen {
		for h, v := range old.m {
			next.m[h] = v
		}
	}
	ks.cur.Store(next)
}

// keyOf is the client of key, a valid API key, and its rate limiter
// (store.ErrNotFound for an unknown or revoked key).
func (e *Engine) keyOf(ctx context.Context, key string) (*keyed, error) {
	// Hashed from a buffer on the stack: []byte(key) was an allocation a
	// fetch.
	var buf [128]byte
	hash := sha256.Sum256(append(buf[:0], key...))
	// The generation is read before the index: a client changed meanwhile
	// makes a new one, and what is learnt below is not kept.
	gen := e.Index.Generation()
	if k := e.keys.get(gen, hash); k != nil {
		return k, nil
	}
	cl, err := e.Index.Client(ctx, hash)
	if err != nil {
		return nil, err
	}
	k := &keyed{client: cl, limiter: e.api.limiter(cl.ID)}
	e.keys.put(gen, hash, k)
	return k, nil
}
