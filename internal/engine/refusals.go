package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/tokendesk/tokendesk/internal/store"
)

// MaxRefusalsPerMinute is how many different refused fetches a minute
// lists one by one; beyond it, a minute's further refusals are counted
// together per reason, so that a flood of made-up keys, names or addresses
// adds rows slowly (and store.MaxRefusalRows caps them all).
const MaxRefusalsPerMinute = 200

// refusal is a refused fetch as the request saw it. The key itself is
// never kept: only its hash, until the flush has looked for a revoked
// client with it, and the prefix the console shows of every key.
type refusal struct {
	minute    int64
	reason    string
	clientID  int64
	appID     int64
	keyPrefix string
	keyHash   [32]byte
	tokenName string
	address   string
}

// refusalLog counts refused fetches in memory between flushes.
type refusalLog struct {
	mu      sync.Mutex
	pending map[refusal]store.RefusalCount
	minute  int64
	seen    map[refusal]bool // this minute's different refusals
}

func newRefusalLog() *refusalLog {
	return &refusalLog{pending: map[refusal]store.RefusalCount{}, seen: map[refusal]bool{}}
}

func (l *refusalLog) add(r refusal, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r.minute != l.minute {
		l.minute, l.seen = r.minute, map[refusal]bool{}
	}
	if !l.seen[r] {
		if len(l.seen) >= MaxRefusalsPerMinute {
			r = refusal{minute: r.minute, reason: r.reason}
		}
		l.seen[r] = true
	}
	n := l.pending[r]
	n.Count++
	n.Last = maxTime(n.Last, at)
	l.pending[r] = n
}

func (l *refusalLog) take() map[refusal]store.RefusalCount {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.pending
	l.pending = map[refusal]store.RefusalCount{}
	return p
}

func (l *refusalLog) putBack(p map[refusal]store.RefusalCount) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for r, in := range p {
		n := l.pending[r]
		n.Count += in.Count
		n.Last = maxTime(n.Last, in.Last)
		l.pending[r] = n
	}
}

// refuse records a refused runtime API fetch: by whom (the client, or
// for an unknown key the prefix the console would show of it), the token
// name asked for, why, from where, when. key is the presented key for
// refusals of the key itself, "" otherwise.
func (e *Engine) refuse(req Request, cl *store.Client, reason, key string, now time.Time) {
	r := refusal{
		minute: now.Unix() / 60, reason: reason, clientID: cl.ID, appID: cl.AppID, keyPrefix: cl.KeyPrefix,
		tokenName: TruncateRunes(req.Name, 200), address: req.Address,
	}
	if key != "" && len(key) > len(store.KeyPrefix) && key[:len(store.KeyPrefix)] == store.KeyPrefix {
		// A tokendesk key: it may be a revoked one (the flush looks), and
		// its first characters are what the console shows of any key.
		r.keyHash = sha256.Sum256([]byte(key))
		r.keyPrefix = key[:min(len(key), len(store.KeyPrefix)+6)]
	}
	e.refusals.add(r, now)
}

// FlushRefusals writes the refused fetches counted since the last flush,
// telling revoked keys from unknown ones and tokens the client may not use
// from tokens that do not exist (work kept off the request).
func (e *Engine) FlushRefusals(ctx context.Context) error {
	pending := e.refusals.take()
	if len(pending) == 0 {
		return nil
	}
	out := make(map[store.RefusalKey]store.RefusalCount, len(pending))
	for r, n := range pending {
		k := store.RefusalKey{Minute: r.minute, Reason: r.reason, ClientID: r.clientID, KeyPrefix: r.keyPrefix, TokenName: r.tokenName, Address: r.address}
		switch {
		case r.reason == store.RefusedBadKey && r.keyHash != [32]byte{}:
			cl, err := e.Store.RevokedClientByHash(ctx, hex.EncodeToString(r.keyHash[:]))
			switch {
			case err == nil:
				k.Reason, k.ClientID, k.KeyPrefix = store.RefusedRevokedKey, cl.ID, cl.KeyPrefix
			case !errors.Is(err, store.ErrNotFound):
				e.refusals.putBack(pending)
				return err
			}
		case r.reason == store.RefusedNotFound && r.appID != 0:
			// A global token of that name exists, but Permission Settings
			// keep it from this app.
			_, err := e.Store.ResolveToken(ctx, 0, r.tokenName)
			switch {
			case err == nil:
				k.Reason = store.RefusedNotPermitted
			case !errors.Is(err, store.ErrNotFound):
				e.refusals.putBack(pending)
				return err
			}
		}
		sum := out[k]
		sum.Count += n.Count
		sum.Last = maxTime(sum.Last, n.Last)
		out[k] = sum
	}
	if err := e.recordRefusals(ctx, out); err != nil {
		return err // what could not be written is back in the log
	}
	return nil
}
