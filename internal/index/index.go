// Package index is the runtime API's memory: API clients by key hash, token
// names resolved per app (shadowing and permissions included) and each
// token's current values, so that a fetch costs no database statement.
//
// It learns what to forget from the database's change log, which triggers
// fill on every write that can change an answer. A write by this process is
// seen on the very next call: the store tells the index what each of its
// transactions logged as it commits (store.OnCommit), and the index applies
// that at once, without reading the log back, so a database outage right
// after a save never keeps a fetch from a token the index holds. A write by
// another process sharing the database is seen within one Poll interval.
package index

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokendesk/tokendesk/internal/jobs"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
)

// Source is the database the index mirrors; *store.Store implements it.
type Source interface {
	ClientByHash(ctx context.Context, hash string) (store.Client, error)
	ResolveToken(ctx context.Context, appID int64, name string) (token.Token, error)
	TokenValuesOf(ctx context.Context, id int64, fields []string) (map[string]string, error)
	ChangesSince(ctx context.Context, after int64, limit int) ([]store.ChangeLogEntry, error)
	ChangesAmong(ctx context.Context, ids []int64) ([]store.ChangeLogEntry, error)
	LatestChange(ctx context.Context) (int64, error)
	PruneChanges(ctx context.Context, before time.Time) error
}

// committer is a Source that tells of its own commits (*store.Store).
type committer interface {
	OnCommit(store.Committed)
}

const (
	// Poll is how often the change log is read for other processes' writes.
	Poll = 250 * time.Millisecond
	// batch is how many changes one read takes; more than that at once and
	// forgetting everything is cheaper than applying them one by one.
	batch = 1000
	// maxNames bounds the resolved names kept (misses included), so that a
	// client asking for endless made-up names cannot grow the index; names
	// longer than maxNameBytes (no token has one) are not kept at all.
	maxNames     = 200_000
	maxNameBytes = 512
	// keepChanges is how long the change log keeps a row; a process that
	// has not read the log for longer than staleAfter starts afresh.
	keepChanges = 10 * time.Minute
	staleAfter  = 5 * time.Minute
	// On PostgreSQL a change's id is taken when its transaction writes,
	// not when it commits: a later id can be read before an earlier one is
	// committed. The ids skipped are looked for again for gapWait (then
	// taken to be transactions that rolled back); at most maxGaps are
	// tracked, beyond which the index forgets everything instead.
	gapWait = time.Minute
	maxGaps = 10_000
)

// Token is what the index holds of one token: enough to answer a fetch.
// It is never changed once in the index (a change replaces it), so what is
// derived from it can be kept with it.
type Token struct {
	// answer and ProxyOnly come first, on the cache line that holds the
	// token's id: a fetch of a token whose answer is kept reads that line
	// and the answer, not the token's other fields, spread over half a
	// dozen lines (issue 20 item 4: with thousands of tokens fetched at
	// random, each line read is likely a cache miss).
	answer atomic.Pointer[keptAnswer]
	// ProxyOnly is Values[provider.KeyProxyOnly] set, decided once here:
	// a map lookup per fetch was a good part of a fetch's cost.
	ProxyOnly bool
	token.Token
	Values map[string]string
}

type keptAnswer struct {
	body  []byte
	until int64 // Unix nanoseconds; 0: never as it is
}

// Answer is the encoded answer kept by SetAnswer, or nil.
func (t *Token) Answer() []byte {
	if a := t.answer.Load(); a != nil {
		return a.body
	}
	return nil
}

// AnswerAt is the kept answer if it may be handed out as it is at now:
// before the until given to SetAnswer.
func (t *Token) AnswerAt(now time.Time) []byte {
	if a := t.answer.Load(); a != nil && now.UnixNano() < a.until {
		return a.body
	}
	return nil
}

// SetAnswer keeps the encoded answer for this version of the token, which
// may be handed out as it is until until (zero: never, each fetch looks
// at the token again).
func (t *Token) SetAnswer(b []byte, until time.Time) {
	a := &keptAnswer{body: b}
	if !until.IsZero() {
		a.until = until.UnixNano()
	}
	t.answer.Store(a)
}

type nameKey struct {
	appID int64
	key   string
}

// Fields names the values of a provider's tokens that an answer needs
// (nil: all of them). Only those are opened and kept.
type Fields func(provider string) []string

// Index is safe for concurrent use.
type Index struct {
	src    Source
	now    func() time.Time
	fields Fields

	mu sync.RWMutex
	// clients holds store.Client by SHA-256 of the key; only valid keys.
	// A sync.Map, read without mu: every fetch looks its key up, and an
	// RLock writes mu's reader count, a cache line both cores then pass
	// between them on every fetch. Stored and cleared under mu; nclients
	// counts it for Stats.
	clients  sync.Map
	nclients int
	// gen counts the times clients were forgotten (Generation).
	gen   atomic.Uint64
	names map[nameKey]int64 // resolved token id by folded name; 0: no such token
	// asked holds names exactly as consumers sent them, so that the usual
	// case (the same spelling every time) skips folding (NFKC and case).
	asked  map[nameKey]int64
	tokens map[int64]*Token
	// epoch grows with every forgetting; a lookup that read the database
	// under an older epoch does not keep what it read (it may be stale).
	epoch uint64

	sync     sync.Mutex   // one reader of the change log at a time
	seen     atomic.Int64 // the last change applied; -1 before the first read
	syncedAt time.Time    // guarded by sync
	// gaps are ids below seen not read yet, with when they were first
	// missed; guarded by sync.
	gaps map[int64]time.Time
}

// New returns an empty index. It reads nothing yet: the first lookup or
// Sync finds where the change log stands.
func New(src Source, now func() time.Time, fields Fields) *Index {
	if now == nil {
		now = time.Now
	}
	if fields == nil {
		fields = func(string) []string { return nil }
	}
	ix := &Index{src: src, now: now, fields: fields, gaps: map[int64]time.Time{}}
	ix.reset()
	ix.seen.Store(-1) // the log has not been read yet
	if c, ok := src.(committer); ok {
		c.OnCommit(ix.applyOwn)
	}
	return ix
}

func (ix *Index) reset() {
	ix.gen.Add(1)
	ix.clients.Clear()
	ix.nclients = 0
	ix.names = map[nameKey]int64{}
	ix.asked = map[nameKey]int64{}
	ix.tokens = map[int64]*Token{}
	ix.epoch++
}

// Generation changes whenever the index forgets its clients (a client
// created, revoked or changed, by this process or another): what a caller
// learnt from Client under one generation holds until the next.
func (ix *Index) Generation() uint64 { return ix.gen.Load() }

// Client returns the unrevoked client whose key has the SHA-256 sum
// hash (store.ErrNotFound otherwise).
func (ix *Index) Client(ctx context.Context, hash [sha256.Size]byte) (store.Client, error) {
	if err := ix.fresh(ctx); err != nil {
		return store.Client{}, err
	}
	if c, ok := ix.clients.Load(hash); ok {
		return c.(store.Client), nil
	}
	// The epoch is read after the miss and before the database: whatever
	// is forgotten after this read makes keep drop what is read below.
	ix.mu.RLock()
	epoch := ix.epoch
	ix.mu.RUnlock()
	c, err := ix.src.ClientByHash(ctx, hex.EncodeToString(hash[:]))
	if err != nil {
		return c, err // unknown keys are not remembered: anyone can make them up
	}
	ix.keep(epoch, func() {
		if _, had := ix.clients.Swap(hash, c); !had {
			ix.nclients++
		}
	})
	return c, nil
}

// Resolve finds the token an app's client (appID 0: a global client) gets
// for name, with its values (store.ErrNotFound when there is none).
func (ix *Index) Resolve(ctx context.Context, appID int64, name string) (*Token, error) {
	if err := ix.fresh(ctx); err != nil {
		return nil, err
	}
	as := nameKey{appID, name}
	// Spellings are remembered only up to a length no token name has.
	rememberAs := func(id int64) {
		if len(name) <= maxNameBytes {
			ix.asked[as] = id
		}
	}
	ix.mu.RLock()
	id, known := ix.asked[as]
	t := ix.known(id, known)
	epoch := ix.epoch
	ix.mu.RUnlock()
	switch {
	case known && id == 0:
		return nil, store.ErrNotFound
	case t != nil:
		return t, nil
	}

	k := nameKey{appID, token.NameKey(strings.TrimSpace(name))}
	ix.mu.RLock()
	id, known = ix.names[k]
	t = ix.known(id, known)
	ix.mu.RUnlock()
	switch {
	case known && id == 0:
		ix.keep(epoch, func() { rememberAs(0) })
		return nil, store.ErrNotFound
	case t != nil:
		ix.keep(epoch, func() { rememberAs(id) })
		return t, nil
	}

	tok, err := ix.src.ResolveToken(ctx, appID, name)
	if errors.Is(err, store.ErrNotFound) {
		if len(name) <= maxNameBytes { // a made-up long name is not remembered at all
			ix.keep(epoch, func() { ix.names[k] = 0; rememberAs(0) })
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	values, err := ix.src.TokenValuesOf(ctx, tok.ID, ix.fields(tok.Provider))
	if err != nil {
		return nil, err
	}
	// Only what an answer and an on-demand renewal need: a description of
	// 2,000 characters or the audit stamps have no business in memory.
	slim := token.Token{ID: tok.ID, AppID: tok.AppID, Provider: tok.Provider, Name: tok.Name,
		Encrypted: tok.Encrypted, Rate: tok.Rate, Version: tok.Version}
	// What decides whether the stored token may be served at all: a token
	// that needs reconnecting is refused at once, whatever its expiry.
	slim.ExpiresAt, slim.LastRenewedAt, slim.NeedsReconnect = tok.ExpiresAt, tok.LastRenewedAt, tok.NeedsReconnect
	slim.NeedsSecret = tok.NeedsSecret
	// A refresh token run out needs a reconnect too (Renewal.MustReconnect),
	// and a token an app reported refused is not handed out again.
	slim.RefreshExpiresAt, slim.Rejection = tok.RefreshExpiresAt, tok.Rejection
	t = &Token{Token: slim, Values: values, ProxyOnly: values[provider.KeyProxyOnly] != ""}
	ix.keep(epoch, func() { ix.names[k] = tok.ID; ix.tokens[tok.ID] = t; rememberAs(tok.ID) })
	return t, nil
}

// known is the token a name resolved to, if the name is known and the
// token still held; the caller holds ix.mu.
func (ix *Index) known(id int64, known bool) *Token {
	if !known || id == 0 {
		return nil
	}
	return ix.tokens[id]
}

// keep stores what a lookup read, unless something was forgotten since the
// lookup began (what it read may predate that change).
func (ix *Index) keep(epoch uint64, fill func()) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.epoch != epoch {
		return
	}
	if len(ix.names) >= maxNames || len(ix.asked) >= maxNames {
		clear(ix.names)
		clear(ix.asked)
	}
	fill()
}

// fresh reads where the change log stands before the first lookup: one
// atomic load on the hot path afterwards. This process's own writes need
// no read of the log (applyOwn).
func (ix *Index) fresh(ctx context.Context) error {
	if !ix.behind() {
		return nil
	}
	ix.sync.Lock()
	defer ix.sync.Unlock()
	if !ix.behind() { // another lookup read it meanwhile
		return nil
	}
	return ix.readLog(ctx)
}

func (ix *Index) behind() bool {
	return ix.seen.Load() < 0
}

// applyOwn forgets what a commit of this process changed, as the store
// tells it (with each token's name and scope after the commit), before the
// write returns to its caller. A change of name forgets only the names it
// can affect: those that resolved to the token, and its new name (in its
// app, or in every app for a global token). The log, read later, names
// the same changes again; forgetting twice is harmless.
func (ix *Index) applyOwn(changes []store.ChangeLogEntry) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.epoch++ // a lookup that read the database before this commit keeps nothing
	for _, c := range changes {
		switch c.Kind {
		case store.ChangeValue:
			delete(ix.tokens, c.TokenID)
		case store.ChangeName:
			delete(ix.tokens, c.TokenID)
			newKey := ""
			if !c.Gone {
				newKey = token.NameKey(strings.TrimSpace(c.Name))
			}
			for k, id := range ix.names {
				if id == c.TokenID || (!c.Gone && k.key == newKey && (c.AppID == 0 || k.appID == c.AppID)) {
					delete(ix.names, k)
				}
			}
			// Spellings as asked are not folded: any of them may be the
			// new name. They fold again from names, without the database.
			clear(ix.asked)
		default:
			ix.reset()
		}
	}
}

// Sync reads the change log and forgets what it names.
func (ix *Index) Sync(ctx context.Context) error {
	ix.sync.Lock()
	defer ix.sync.Unlock()
	return ix.readLog(ctx)
}

// readLog does Sync's work; the caller holds ix.sync.
func (ix *Index) readLog(ctx context.Context) error {
	if ix.seen.Load() < 0 {
		latest, err := ix.src.LatestChange(ctx)
		if err != nil {
			return err
		}
		ix.mu.Lock()
		defer ix.mu.Unlock()
		// Whatever was looked up before now may predate a change.
		ix.reset()
		clear(ix.gaps)
		ix.seen.Store(latest)
		ix.syncedAt = ix.now()
		return nil
	}
	late, err := ix.src.ChangesAmong(ctx, ix.gapIDs())
	if err != nil {
		return err
	}
	changes, err := ix.src.ChangesSince(ctx, ix.seen.Load(), batch)
	if err != nil {
		return err
	}
	now := ix.now()
	tooManyGaps := ix.trackGaps(late, changes, now)

	ix.mu.Lock()
	defer ix.mu.Unlock()
	switch {
	case now.Sub(ix.syncedAt) > staleAfter || len(changes) == batch || tooManyGaps:
		// Too far behind to trust the log (it may have been pruned).
		ix.reset()
	case len(changes)+len(late) > 0:
		ix.epoch++
		for _, c := range append(late, changes...) {
			switch c.Kind {
			case store.ChangeValue:
				delete(ix.tokens, c.TokenID)
			case store.ChangeName:
				delete(ix.tokens, c.TokenID)
				clear(ix.names)
				clear(ix.asked)
			default:
				ix.reset()
			}
		}
	}
	if len(changes) > 0 {
		ix.seen.Store(changes[len(changes)-1].ID)
	}
	ix.syncedAt = now
	return nil
}

// gapIDs are the ids still missed, oldest first; the caller holds ix.sync.
func (ix *Index) gapIDs() []int64 {
	ids := make([]int64, 0, len(ix.gaps))
	for id := range ix.gaps {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// trackGaps forgets the gaps that late fills or that are older than
// gapWait, and notes the ids that changes skip above seen. It reports
// whether there are too many to track; the caller holds ix.sync.
func (ix *Index) trackGaps(late, changes []store.ChangeLogEntry, now time.Time) (tooMany bool) {
	for _, c := range late {
		delete(ix.gaps, c.ID)
	}
	for id, since := range ix.gaps {
		if now.Sub(since) > gapWait {
			delete(ix.gaps, id)
		}
	}
	prev := ix.seen.Load()
	for _, c := range changes {
		if c.ID-prev-1 > maxGaps {
			clear(ix.gaps)
			return true
		}
		for id := prev + 1; id < c.ID; id++ {
			ix.gaps[id] = now
		}
		prev = c.ID
	}
	if len(ix.gaps) > maxGaps {
		clear(ix.gaps)
		return true
	}
	return false
}

// Run reads the change log every Poll until ctx ends, for the writes of
// other processes, and prunes it now and then.
func (ix *Index) Run(ctx context.Context, logger *slog.Logger) {
	lastPrune := ix.now()
	var failingSince, warned time.Time // while the log cannot be read
	jobs.Every(ctx, Poll, func() {
		err := ix.Sync(ctx)
		switch now := ix.now(); {
		case ctx.Err() != nil:
		case err != nil && (failingSince.IsZero() || now.Sub(warned) >= time.Minute):
			// Once, then once a minute: not four lines a second while
			// the database is down.
			if failingSince.IsZero() {
				failingSince = now
			}
			warned = now
			logger.Warn("reading the change log", "err", err, "failing_since", failingSince)
		case err == nil && !failingSince.IsZero():
			logger.Info("reading the change log again", "failed_for", now.Sub(failingSince).Round(time.Second).String())
			failingSince = time.Time{}
		}
		if now := ix.now(); now.Sub(lastPrune) > time.Minute {
			lastPrune = now
			if err := ix.src.PruneChanges(ctx, now.Add(-keepChanges)); err != nil && ctx.Err() == nil {
				logger.Warn("pruning the change log", "err", err)
			}
		}
	})
}

// Stats is the index's size, for metrics and the README.
type Stats struct{ Clients, Names, Tokens int }

// Stats counts what the index holds.
func (ix *Index) Stats() Stats {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return Stats{Clients: ix.nclients, Names: len(ix.names) + len(ix.asked), Tokens: len(ix.tokens)}
}
