package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"golang.org/x/time/rate"
)

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
	for _, l := range a.limiters {
		l.SetLimitAt(now, limit)
		l.SetBurstAt(now, burst)
	}
}

// newReplicaID names this process in the replicas table.
func newReplicaID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Heartbeat tells the other replicas this one is alive and takes this
// replica's share of the API rate limit from how many are. While the
// database does not answer the share stays as it was.
func (s *Server) Heartbeat(ctx context.Context) error {
	now := s.Now()
	n, err := s.Store.Heartbeat(ctx, s.replicaID, now, now.Add(-replicaLive))
	if err != nil {
		return err
	}
	s.api.setReplicas(n, now)
	return nil
}

// runHeartbeat heartbeats every heartbeatEvery until ctx ends, then leaves.
func (s *Server) runHeartbeat(ctx context.Context) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		if err := s.Heartbeat(ctx); err != nil && ctx.Err() == nil {
			s.Logger.Warn("replica heartbeat", "err", err)
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			if err := s.Store.LeaveReplicas(lctx, s.replicaID); err != nil {
				s.Logger.Warn("leaving the replicas", "err", err)
			}
			return
		}
	}
}
