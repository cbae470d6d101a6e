package token

import "time"

// The renewal policy: what an edit, a grant and a failed renewal do to a
// token's renewal state. The store reads the state, asks here, and writes
// what it is told; the thresholds live nowhere else.

// No retry storms.
const (
	// FailingAfter consecutive failed renewals send renewal.failing: a
	// single failure that the first retry fixes pages nobody.
	FailingAfter = 2
	// StopAfter: a token whose renewals keep failing this long is no
	// longer renewed automatically and needs attention.
	StopAfter = 72 * time.Hour
)

// Reschedule is the renewal state an edit leaves.
type Reschedule struct {
	// Restart: a renewal that had stopped (Needs attention) starts again,
	// with a new run of failures.
	Restart bool
	// Set: NextAt is the token's next renewal (zero: none planned);
	// otherwise the planned one stays.
	Set    bool
	NextAt time.Time
}

// AfterEdit decides when a token is next renewed after a person's edit:
// before is its state as read, after its state once the edit was applied
// (a grant it carried, its expiry, a reconnection), rate and renewable
// the edited token's; changed says the edit changed a field (or replaced
// the token).
func AfterEdit(before, after Renewal, rate string, renewable, changed bool, now time.Time) Reschedule {
	renewed := rate != Disabled && renewable
	var r Reschedule
	if !before.AttentionSince.IsZero() {
		// Saving a token whose renewal stopped starts it again: a try now
		// if it is renewed at all.
		r.Restart, r.Set = true, true
		if renewed {
			r.NextAt = now
		}
	}
	if !changed {
		return r
	}
	// A token waiting to be reconnected is not renewed: every renewal
	// would be refused.
	r.Set, r.NextAt = true, NextRenewal(rate, renewable && !after.NeedsReconnect, after.LastRenewedAt, after.ExpiresAt, now)
	if before.Failures > 0 && renewed {
		// A token whose renewals were failing is retried at once after an
		// edit: the edit is most likely the fix.
		r.NextAt = now
	}
	return r
}

// Granted is the renewal state a grant leaves: the run of failures, any
// error, a stopped renewal and a needed reconnection end; the token
// counts as renewed at the grant's moment.
type Granted struct {
	ExpiresAt time.Time
	// RefreshExpiresAt replaces the refresh token's end when
	// NewRefresh: a new refresh token brings its own lifetime (one kept
	// from before keeps its own).
	NewRefresh       bool
	RefreshExpiresAt time.Time
	// Recovered: the grant ends a run of failures that renewal.failing
	// announced (or that stopped renewal): renewal.recovered is sent.
	Recovered bool
}

// AfterGrant decides what ch's grant, stored at now, does to a token in
// state before. ch must carry a grant.
func AfterGrant(before Renewal, ch Change, now time.Time) Granted {
	g := Granted{ExpiresAt: ch.Expiry(now), Recovered: before.Failures >= FailingAfter || !before.AttentionSince.IsZero()}
	// A grant without a refresh token may still say when it ends (its
	// access token's expiry, when nothing can renew it): the same warning
	// and the same end as a refresh token's.
	if ch.Grant != nil && (ch.Grant.RefreshToken != "" || !ch.Grant.RefreshExpiresAt.IsZero()) {
		g.NewRefresh, g.RefreshExpiresAt = true, ch.Grant.RefreshExpiresAt
	}
	return g
}

// Failed is the renewal state a failed renewal leaves.
type Failed struct {
	Failures int
	// FailingSince: when the run of failures began.
	FailingSince time.Time
	// NextAt: the retry (zero: none planned, as none was before).
	NextAt time.Time
	// Announce: the run of failures just reached FailingAfter;
	// renewal.failing is sent (once a run).
	Announce bool
	// Stop: the run has lasted StopAfter; automatic renewal stops ("Needs
	// attention": no retry is planned) and renewal.stopped is sent.
	Stop bool
}

// AfterFailure decides what a renewal failing at now does to a token in
// state before (its failures, attention, planned renewal), whose run of
// failures began at failingSince (zero: this failure begins one), at
// renewal rate rate; retryAt is the retry the worker's backoff planned.
func AfterFailure(before Renewal, failingSince time.Time, rate string, retryAt, now time.Time) Failed {
	// A token whose renewal had stopped (Needs attention) is claimed only
	// by a person's Renew now: that starts it again, with a new run of
	// failures and its retries planned.
	restarted := !before.AttentionSince.IsZero()
	f := Failed{Failures: before.Failures + 1, FailingSince: failingSince, NextAt: retryAt}
	if before.NextRenewalAt.IsZero() && !restarted {
		f.NextAt = time.Time{} // not renewed on a schedule: nothing to retry
	}
	if failingSince.IsZero() || restarted {
		f.FailingSince = now
	}
	scheduled := !f.NextAt.IsZero() && rate != Disabled
	f.Announce = f.Failures == FailingAfter
	f.Stop = scheduled && now.Sub(f.FailingSince) >= StopAfter
	return f
}
