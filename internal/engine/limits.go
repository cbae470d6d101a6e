package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/tokendesk/tokendesk/internal/jobs"
	"github.com/tokendesk/tokendesk/internal/store"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"
)

// apiState is the runtime API's memory: a rate limiter per client key and
// the usage counted since the last flush (one write per flush, not per
// fetch).
type apiState struct {
	limit rate.Limit // per key, for the whole installation
	burst int

	mu sync.Mutex
	// limiters holds a *rate.Limiter per client id. A sync.Map, not a map
	// under mu: every fetch looks its client's up, and on a loaded server
	// both cores do at once; a read takes no lock (nothing written to a
	// shared cache line). Stored and deleted under mu.
	limiters sync.Map
	// replicas is how many processes share the limit (Heartbeat):
	// each allows its share, limit/replicas.
	replicas int
	usage    store.Usage
	// served counts served fetches apart from usage: one map update a
	// fetch instead of three, folded into usage when it is taken. Sharded
	// by client, each shard with its own lock, so that fetches on
	// different cores do not take one lock (and bounce its cache line)
	// for every fetch; whoever folds takes mu, then each shard's lock.
	served [servedShards]servedShard

	// flight makes consumers asking for one stale token share one renewal.
	flight singleflight.Group
}

func newAPIState(perSecond float64) *apiState {
	if perSecond <= 0 {
		perSecond = 50
	}
	a := &apiState{limit: rate.Limit(perSecond), burst: max(1, int(2*perSecond)), replicas: 1}
	a.usage = newUsage()
	for i := range a.served {
		a.served[i].m = map[servedKey]servedCount{}
	}
	return a
}

const servedShards = 16

type servedShard struct {
	mu sync.Mutex
	m  map[servedKey]servedCount
	_  [64]byte // a shard per cache line: two cores counting in two shards share none
}

// shard is the served shard of a client.
func (a *apiState) shard(clientID int64) *servedShard {
	return &a.served[uint64(clientID)%servedShards]
}

// servedKey is a minute's served fetches of one token by one client.
type servedKey struct{ minute, clientID, tokenID int64 }

type servedCount struct {
	appID int64 // the client's app
	n     int64
	last  time.Time
}

// foldServed adds what served counted to usage, for the flush, and starts
// counting afresh; the caller holds a.mu. A fetch counted in a shard after
// it was folded is in the next fold: each is counted once.
func (a *apiState) foldServed(keep func(servedCount) bool) {
	for i := range a.served {
		sh := &a.served[i]
		sh.mu.Lock()
		a.foldShard(sh.m, keep)
		sh.mu.Unlock()
	}
}

// foldShard is foldServed for one shard's counts; the caller holds a.mu
// and the shard's lock.
func (a *apiState) foldShard(served map[servedKey]servedCount, keep func(servedCount) bool) {
	for k, c := range served {
		if keep != nil && !keep(c) {
			continue
		}
		a.usage.Reads[store.ReadKey{Minute: k.minute, ClientID: k.clientID, TokenID: k.tokenID, Outcome: store.ReadOK}] += c.n
		a.usage.Clients[k.clientID] = maxTime(a.usage.Clients[k.clientID], c.last)
		delete(served, k)
		if keep != nil {
			continue // a deleted app's: no App Association
		}
		u := store.TokenUseKey{TokenID: k.tokenID, AppID: c.appID}
		use := a.usage.Uses[u]
		use.Count += c.n
		use.Last = maxTime(use.Last, c.last)
		a.usage.Uses[u] = use
	}
}

func newUsage() store.Usage {
	return store.Usage{Reads: map[store.ReadKey]int64{}, Uses: map[store.TokenUseKey]store.TokenUse{}, Clients: map[int64]time.Time{}}
}

func (a *apiState) limiter(clientID int64) *rate.Limiter {
	if l, ok := a.limiters.Load(clientID); ok {
		return l.(*rate.Limiter)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if l, ok := a.limiters.Load(clientID); ok { // made meanwhile
		return l.(*rate.Limiter)
	}
	l := rate.NewLimiter(a.share())
	a.limiters.Store(clientID, l)
	return l
}

// forget drops a revoked client's limiter.
func (a *apiState) forget(clientID int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.limiters.Delete(clientID)
}

// record counts one fetch: always in the read audit; a served one also in
// App Associations and as its client's last use.
func (a *apiState) record(cl *store.Client, tokenID int64, outcome string, at time.Time) {
	if outcome == store.ReadOK {
		k := servedKey{minute: at.Unix() / 60, clientID: cl.ID, tokenID: tokenID}
		sh := a.shard(cl.ID)
		sh.mu.Lock()
		c := sh.m[k]
		c.appID, c.n, c.last = cl.AppID, c.n+1, maxTime(c.last, at)
		sh.m[k] = c
		sh.mu.Unlock()
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.usage.Reads[store.ReadKey{Minute: at.Unix() / 60, ClientID: cl.ID, TokenID: tokenID, Outcome: outcome}]++
}

// forgetApp drops what was counted for a deleted app's clients: written
// later, it would be credited to whichever app is created next with the
// same id.
func (a *apiState) forgetApp(appID int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.foldServed(func(c servedCount) bool { return c.appID == appID })
	for k := range a.usage.Uses {
		if k.AppID == appID {
			delete(a.usage.Uses, k)
		}
	}
}

// putBack returns usage that could not be written, for the next flush.
func (a *apiState) putBack(u store.Usage) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, n := range u.Reads {
		a.usage.Reads[k] += n
	}
	for k, in := range u.Uses {
		use := a.usage.Uses[k]
		use.Count += in.Count
		use.Last = maxTime(use.Last, in.Last)
		a.usage.Uses[k] = use
	}
	for id, last := range u.Clients {
		a.usage.Clients[id] = maxTime(a.usage.Clients[id], last)
	}
}

func (a *apiState) take() store.Usage {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.foldServed(nil)
	u := a.usage
	a.usage = newUsage()
	return u
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// FlushUsage writes the usage counted since the last flush (the read
// audit, App Associations, clients' last use).
func (e *Engine) FlushUsage(ctx context.Context) error {
	usage := e.api.take()
	if err := e.recordUsage(ctx, usage); err != nil {
		return err // what was not written is back for the next flush
	}
	return e.FlushRefusals(ctx)
}

// The runtime API's per-key rate limit holds for the whole installation,
// however many replicas share the database: N replicas must not allow N
// times the limit.
//
// Each replica heartbeats into the replicas table and enforces limit/N
// locally, N being the replicas alive. The alternatives cost more than
// they give: a counter in the database puts a round trip on every fetch
// (the API answers from memory, at about the speed of a bare handler), and
// leasing rate budget in slices from the database moves that round trip
// to every slice and strands the budget of a replica that dies holding
// one. Sharing out by head count needs no database on the hot path; what
// it gives up is accuracy under skew: a load balancer that sends all of a
// key's traffic to one replica gives that key limit/N, never more than
// the limit, and a replica that stops without leaving is counted until
// replicaLive has passed (its share is unused meanwhile: still never more).
// A replica that has just started is not yet counted by the others for up
// to heartbeatEvery: the only moment the total can exceed the limit, by
// one replica's share.
const (
	heartbeatEvery = 2 * time.Second
	replicaLive    = 10 * time.Second
)

// share is a limiter's rate and burst for this replica; the caller holds
// a.mu.
func (a *apiState) share() (rate.Limit, int) {
	n := max(1, a.replicas)
	return a.limit / rate.Limit(n), max(1, a.burst/n)
}

// setReplicas shares the limit among n replicas from now on.
func (a *apiState) setReplicas(n int, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if n < 1 || n == a.replicas {
		return
	}
	a.replicas = n
	limit, burst := a.share()
	a.limiters.Range(func(_, l any) bool {
		l.(*rate.Limiter).SetLimitAt(now, limit)
		l.(*rate.Limiter).SetBurstAt(now, burst)
		return true
	})
}

// NewReplicaID names this process in the replicas table.
func NewReplicaID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Heartbeat tells the other replicas this one is alive and takes this
// replica's share of the API rate limit from how many are. While the
// database does not answer the share stays as it was.
func (e *Engine) Heartbeat(ctx context.Context) error {
	now := e.Now()
	n, err := e.Store.Heartbeat(ctx, e.ReplicaID, now, now.Add(-replicaLive))
	if err != nil {
		return err
	}
	e.api.setReplicas(n, now)
	return nil
}

// RunHeartbeat heartbeats every heartbeatEvery until ctx ends, then leaves.
func (e *Engine) RunHeartbeat(ctx context.Context) {
	beat := func() {
		if err := e.Heartbeat(ctx); err != nil && ctx.Err() == nil {
			e.Logger.Warn("replica heartbeat", "err", err)
		}
	}
	beat()
	jobs.Every(ctx, heartbeatEvery, beat)
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := e.Store.LeaveReplicas(lctx, e.ReplicaID); err != nil {
		e.Logger.Warn("leaving the replicas", "err", err)
	}
}

// ForgetClient drops a revoked client's limiter.
func (e *Engine) ForgetClient(clientID int64) { e.api.forget(clientID) }

// ForgetApp drops what was counted for a deleted app's clients.
func (e *Engine) ForgetApp(appID int64) { e.api.forgetApp(appID) }
