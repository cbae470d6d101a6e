package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tokendesk/tokendesk/internal/token"
)

// Renewal errors.
var (
	// ErrLeased: another worker holds the token's renewal lease.
	ErrLeased = errors.New("store: a renewal of this token is already under way")
	// ErrLeaseLost: the lease expired and another worker took the token.
	ErrLeaseLost = errors.New("store: renewal lease lost")
)

// Audit actions of the renewal worker.
const (
	ActionTokenRenew       = "token.renew"
	ActionTokenRenewFailed = "token.renew.failed"
	// RenewalActor is who the audit log names for the worker.
	RenewalActor = "renewal worker"
)

// Claim is a token leased to one worker for one renewal.
type Claim struct {
	ID        int64
	AppID     int64
	Provider  string
	Name      string
	Version   int64
	Rate      string
	Encrypted bool
	Failures  int
	DueAt     time.Time
	Owner     string
	// NeedsReconnect: the token waits for a person to consent again; it
	// must not be renewed (only Renew now can claim it).
	NeedsReconnect bool
	// RefreshExpiresAt: when the stored refresh token runs out (zero:
	// unknown or never). Past it, the service is not asked either.
	RefreshExpiresAt time.Time
}

// MustReconnect is token.Renewal.MustReconnect for a claimed token: the
// worker must not call the service with a grant known to be dead.
func (c Claim) MustReconnect(now time.Time) bool {
	return token.Renewal{NeedsReconnect: c.NeedsReconnect, RefreshExpiresAt: c.RefreshExpiresAt}.MustReconnect(now)
}

const claimCols = "id, ifnull(app_id, 0), provider, name, version, renewal_rate, encrypted, failures, ifnull(next_renewal_at, 0), lease_owner, needs_reconnect, refresh_expires_at"

func scanClaims(rows *sql.Rows) ([]Claim, error) {
	defer rows.Close()
	var out []Claim
	for rows.Next() {
		var c Claim
		var due int64
		var refreshExp sql.NullInt64
		if err := rows.Scan(&c.ID, &c.AppID, &c.Provider, &c.Name, &c.Version, &c.Rate, &c.Encrypted, &c.Failures, &due, &c.Owner, &c.NeedsReconnect, &refreshExp); err != nil {
			return nil, fmt.Errorf("store: claim: %w", err)
		}
		c.DueAt = fromMS(due)
		c.RefreshExpiresAt = fromNullMS(refreshExp)
		out = append(out, c)
	}
	return out, rows.Err()
}

// ClaimDue leases up to limit tokens due at now to owner until now+lease,
// most overdue first. One UPDATE under SQLite's write lock makes the claim
// exclusive, even between processes sharing the database; a lease left by
// a dead process simply expires.
func (s *Store) ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]Claim, error) {
	rows, err := s.write.QueryContext(ctx, `
		UPDATE tokens SET lease_owner = ?1, lease_until = ?2
		WHERE id IN (
			SELECT id FROM tokens
			WHERE next_renewal_at IS NOT NULL AND next_renewal_at <= ?3
			  AND (lease_until IS NULL OR lease_until <= ?3)
			ORDER BY next_renewal_at LIMIT ?4`+s.d.skipLocked()+`)
		RETURNING `+claimCols,
		owner, ms(now.Add(lease)), ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: claiming due tokens: %w", err)
	}
	return scanClaims(rows)
}

// ClaimOne leases one token for an immediate renewal ("Renew now").
func (s *Store) ClaimOne(ctx context.Context, id int64, owner string, now time.Time, lease time.Duration) (Claim, error) {
	rows, err := s.write.QueryContext(ctx, `
		UPDATE tokens SET lease_owner = ?1, lease_until = ?2
		WHERE id = ?3 AND (lease_until IS NULL OR lease_until <= ?4)
		RETURNING `+claimCols,
		owner, ms(now.Add(lease)), id, ms(now))
	if err != nil {
		return Claim{}, fmt.Errorf("store: claiming token: %w", err)
	}
	claims, err := scanClaims(rows)
	if err != nil {
		return Claim{}, err
	}
	if len(claims) == 0 {
		if _, err := s.TokenByID(ctx, id); err != nil {
			return Claim{}, err
		}
		return Claim{}, ErrLeased
	}
	return claims[0], nil
}

// NextDue is the earliest scheduled renewal, or zero when none is. The
// WHERE clause lets SQLite answer from the partial index tokens_next_renewal
// (one step) instead of scanning every token on every worker loop.
func (s *Store) NextDue(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	if err := s.read.QueryRowContext(ctx, "SELECT min(next_renewal_at) FROM tokens WHERE next_renewal_at IS NOT NULL").Scan(&next); err != nil {
		return time.Time{}, fmt.Errorf("store: next due: %w", err)
	}
	return fromNullMS(next), nil
}

// SaveRenewal applies a renewal (a change carrying the grant obtained) in
// one write that succeeds only if the token was not edited since it was
// claimed (ErrStale: redo it with the new credentials) and the lease is
// still ours (ErrLeaseLost). The token's settings stay as they are.
// Renewals do not bump the version, so they never make an
// administrator's open form stale: an edit always wins.
func (s *Store) SaveRenewal(ctx context.Context, c Claim, ch token.Change, now time.Time) error {
	if ch.Grant == nil {
		return errors.New("store: a renewal without a grant")
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var version int64
		var owner sql.NullString
		err := tx.QueryRowContext(ctx, "SELECT version, lease_owner, encrypted FROM tokens WHERE id = ?"+s.d.forUpdate(), c.ID).Scan(&version, &owner, &ch.Encrypted)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: saving renewal: %w", err)
		}
		if owner.String != c.Owner {
			return ErrLeaseLost
		}
		if version != c.Version {
			return ErrStale
		}
		actor := actorOr(ctx, RenewalActor)
		if _, err := s.apply(ctx, tx, c.ID, ch, nil, false, now, actor); err != nil {
			return err
		}
		if byPerson(ctx) {
			if err := enqueueToken(ctx, tx, EventTokenChanged, c.ID, now, func(ev *TokenEvent) {
				ev.Action, ev.Fields, ev.By = "renewed", ch.Fields(), actor
			}); err != nil {
				return err
			}
		}
		if err := schedule(ctx, tx, c.ID, ch.Renewable, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE tokens SET lease_owner = NULL, lease_until = NULL WHERE id = ?", c.ID); err != nil {
			return fmt.Errorf("store: saving renewal: %w", err)
		}
		entry := Audit{At: now, Actor: actor, Action: ActionTokenRenew,
			Subject: c.Name, TokenID: c.ID, AppID: c.AppID, Provider: c.Provider, Fields: ch.Fields()}
		if actor == RenewalActor {
			return countRenewal(ctx, tx, entry)
		}
		return insertAudit(ctx, tx, entry)
	})
}

// RecordRenewalFailure counts a failed renewal, keeps the previous access
// token, and schedules the retry. msg must already be free of secrets.
func (s *Store) RecordRenewalFailure(ctx context.Context, c Claim, msg string, retryAt, now time.Time) (int, error) {
	var failures int
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var before token.Renewal
		var failingSince, next, attention sql.NullInt64
		var rate string
		err := tx.QueryRowContext(ctx, "SELECT failures, failing_since, next_renewal_at, attention_since, renewal_rate FROM tokens WHERE id = ? AND lease_owner = ?"+s.d.forUpdate(),
			c.ID, c.Owner).Scan(&before.Failures, &failingSince, &next, &attention, &rate)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrLeaseLost
		}
		if err != nil {
			return fmt.Errorf("store: recording renewal failure: %w", err)
		}
		before.NextRenewalAt, before.AttentionSince = fromNullMS(next), fromNullMS(attention)
		f := token.AfterFailure(before, fromNullMS(failingSince), rate, retryAt, now)
		failures = f.Failures
		_, err = tx.ExecContext(ctx, `
			UPDATE tokens SET failures = ?, last_error = ?, last_error_at = ?, next_renewal_at = ?, failing_since = ?,
			       attention_since = NULL, lease_owner = NULL, lease_until = NULL
			WHERE id = ?`, f.Failures, msg, ms(now), nullMS(f.NextAt), nullMS(f.FailingSince), c.ID)
		if err != nil {
			return fmt.Errorf("store: recording renewal failure: %w", err)
		}
		if err := insertAudit(ctx, tx, Audit{At: now, Actor: actorOr(ctx, RenewalActor), Action: ActionTokenRenewFailed,
			Subject: c.Name, TokenID: c.ID, AppID: c.AppID, Provider: c.Provider, Detail: msg}); err != nil {
			return err
		}
		return failingTransitions(ctx, tx, c.ID, f, now)
	})
	return failures, err
}

// ActionTokenNeedsReconnect is the audit action of a grant the service
// refused for good.
const ActionTokenNeedsReconnect = "token.needs_reconnect"

// MarkNeedsReconnect records that the service refused the token's grant for
// good (invalid_grant on refresh): the token says "Needs reconnect", keeps
// its last access token, and is not renewed (by the worker or on demand)
// until a grant obtained through consent clears it (see apply). This is
// the one place the transition happens, so that whatever must follow it
// (an event, a notification) goes here. msg must be free of secrets.
func (s *Store) MarkNeedsReconnect(ctx context.Context, c Claim, msg string, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE tokens SET needs_reconnect = 1, next_renewal_at = NULL, last_error = ?, last_error_at = ?,
			       lease_owner = NULL, lease_until = NULL
			WHERE id = ? AND lease_owner = ?`, msg, ms(now), c.ID, c.Owner)
		if err != nil {
			return fmt.Errorf("store: marking needs reconnect: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrLeaseLost
		}
		if err := NotifyNeedsReconnect(ctx, tx, c.ID, now); err != nil {
			return err
		}
		return insertAudit(ctx, tx, Audit{At: now, Actor: actorOr(ctx, RenewalActor), Action: ActionTokenNeedsReconnect,
			Subject: c.Name, TokenID: c.ID, AppID: c.AppID, Provider: c.Provider, Detail: msg})
	})
}

// ReleaseLease gives a claim back untouched (shutdown, or nothing to do),
// due again at due.
func (s *Store) ReleaseLease(ctx context.Context, c Claim, due time.Time) error {
	_, err := s.write.ExecContext(ctx, `
		UPDATE tokens SET lease_owner = NULL, lease_until = NULL,
		       next_renewal_at = CASE WHEN next_renewal_at IS NULL THEN NULL ELSE CAST(? AS BIGINT) END
		WHERE id = ? AND lease_owner = ?`, nullMS(due), c.ID, c.Owner)
	if err != nil {
		return fmt.Errorf("store: releasing lease: %w", err)
	}
	return nil
}

// CountByStatus counts tokens per renewal status, for the tokendesk_tokens
// gauge. It reads maintained totals and, through indexes, only the tokens
// that are failing or expired or about to: a scrape costs the same with
// 100,000 healthy tokens as with ten. The rules are token.Status's.
//
// retired maps the providers whose vendor retired them to how their tokens
// word it ("Retired by Zoom"): every count below leaves their tokens out
// (they are few, and only ever fewer), and they are counted as
// token.StatusRetired whatever their renewal state.
func (s *Store) CountByStatus(ctx context.Context, now time.Time, retired map[string]string) (map[string]int, error) {
	n, soon := ms(now), ms(now.Add(token.ExpiresSoon))
	// notRetired leaves the retired providers' tokens out of a count whose
	// own arguments are ?1 to ?first-1.
	provs := slices.Sorted(maps.Keys(retired))
	notRetired := func(first int) (string, []any) {
		if len(provs) == 0 {
			return "", nil
		}
		marks, args := make([]string, len(provs)), make([]any, len(provs))
		for i, p := range provs {
			marks[i], args[i] = "?"+strconv.Itoa(first+i), p
		}
		return "provider NOT IN (" + strings.Join(marks, ", ") + ") AND ", args
	}
	// The buckets below failing and needs_secret (token.Status's order)
	// leave those out; "Needs secret" is counted from its own index.
	var total, disabled, failing, attention, expired, expiredDisabled, expiresSoon, unconnected, unconnectedDisabled, secret, secretDisabled int
	nr, nra := notRetired(3)
	err := s.read.QueryRowContext(ctx, `
		SELECT c.total, c.disabled,
		  (SELECT count(*) FROM tokens INDEXED BY tokens_scope_failing WHERE `+nr+`failures > 0 AND renewal_rate != 'disabled'),
		  (SELECT count(*) FROM tokens INDEXED BY tokens_scope_failing WHERE `+nr+`failures > 0 AND renewal_rate != 'disabled' AND attention_since IS NOT NULL),
		  (SELECT count(*) FROM tokens INDEXED BY tokens_expires WHERE `+nr+`expires_at IS NOT NULL AND expires_at <= ?1
		      AND NOT (failures > 0 AND renewal_rate != 'disabled') AND needs_secret = 0),
		  (SELECT count(*) FROM tokens INDEXED BY tokens_expires WHERE `+nr+`expires_at IS NOT NULL AND expires_at <= ?1
		      AND renewal_rate = 'disabled' AND needs_secret = 0),
		  (SELECT count(*) FROM tokens INDEXED BY tokens_expires WHERE `+nr+`expires_at > ?1 AND expires_at < ?2
		      AND renewal_rate != 'disabled' AND failures = 0 AND needs_secret = 0
		      AND NOT (next_renewal_at IS NOT NULL AND next_renewal_at < expires_at AND next_renewal_at > ?1)),
		  (SELECT count(*) FROM tokens INDEXED BY tokens_scope_unconnected WHERE `+nr+`expires_at IS NULL
		      AND NOT (failures > 0 AND renewal_rate != 'disabled') AND needs_secret = 0),
		  (SELECT count(*) FROM tokens INDEXED BY tokens_scope_unconnected WHERE `+nr+`expires_at IS NULL
		      AND renewal_rate = 'disabled' AND needs_secret = 0),
		  (SELECT count(*) FROM tokens INDEXED BY tokens_scope_needs_secret WHERE `+nr+`needs_secret = 1
		      AND NOT (failures > 0 AND renewal_rate != 'disabled')),
		  (SELECT count(*) FROM tokens INDEXED BY tokens_scope_needs_secret WHERE `+nr+`needs_secret = 1
		      AND renewal_rate = 'disabled')
		FROM token_counts c`, append([]any{n, soon}, nra...)...).Scan(&total, &disabled, &failing, &attention, &expired, &expiredDisabled, &expiresSoon,
		&unconnected, &unconnectedDisabled, &secret, &secretDisabled)
	if err != nil {
		return nil, fmt.Errorf("store: counting statuses: %w", err)
	}
	// "Needs reconnect" comes before every other status (token.Status):
	// those tokens are taken from the counts above.
	var reconnect, rFailing, rAttention, rExpired, rExpiredDisabled, rExpiresSoon, rDisabled, rUnconnected, rUnconnectedDisabled, rSecret, rSecretDisabled int
	err = s.read.QueryRowContext(ctx, `
		SELECT count(*),
		  count(*) FILTER (WHERE failures > 0 AND renewal_rate != 'disabled'),
		  count(*) FILTER (WHERE failures > 0 AND renewal_rate != 'disabled' AND attention_since IS NOT NULL),
		  count(*) FILTER (WHERE expires_at IS NOT NULL AND expires_at <= ?1 AND NOT (failures > 0 AND renewal_rate != 'disabled') AND needs_secret = 0),
		  count(*) FILTER (WHERE expires_at IS NOT NULL AND expires_at <= ?1 AND renewal_rate = 'disabled' AND needs_secret = 0),
		  count(*) FILTER (WHERE expires_at > ?1 AND expires_at < ?2 AND renewal_rate != 'disabled' AND failures = 0 AND needs_secret = 0
		      AND NOT (next_renewal_at IS NOT NULL AND next_renewal_at < expires_at AND next_renewal_at > ?1)),
		  count(*) FILTER (WHERE renewal_rate = 'disabled'),
		  count(*) FILTER (WHERE expires_at IS NULL AND NOT (failures > 0 AND renewal_rate != 'disabled') AND needs_secret = 0),
		  count(*) FILTER (WHERE expires_at IS NULL AND renewal_rate = 'disabled' AND needs_secret = 0),
		  count(*) FILTER (WHERE needs_secret = 1 AND NOT (failures > 0 AND renewal_rate != 'disabled')),
		  count(*) FILTER (WHERE needs_secret = 1 AND renewal_rate = 'disabled')
		FROM tokens INDEXED BY tokens_reconnect
		WHERE `+nr+`(needs_reconnect = 1 OR refresh_expires_at IS NOT NULL) AND (needs_reconnect = 1 OR refresh_expires_at <= ?1)`, append([]any{n, soon}, nra...)...).Scan(
		&reconnect, &rFailing, &rAttention, &rExpired, &rExpiredDisabled, &rExpiresSoon, &rDisabled, &rUnconnected, &rUnconnectedDisabled, &rSecret, &rSecretDisabled)
	if err != nil {
		return nil, fmt.Errorf("store: counting statuses: %w", err)
	}
	total, disabled, failing, attention = total-reconnect, disabled-rDisabled, failing-rFailing, attention-rAttention
	expired, expiredDisabled, expiresSoon = expired-rExpired, expiredDisabled-rExpiredDisabled, expiresSoon-rExpiresSoon
	unconnected, unconnectedDisabled = unconnected-rUnconnected, unconnectedDisabled-rUnconnectedDisabled
	secret, secretDisabled = secret-rSecret, secretDisabled-rSecretDisabled
	// "Reconnect soon" (a refresh token running out within
	// token.RefreshWarning) comes before the calm statuses: those tokens
	// are taken from "Not renewed", "Expires soon" and "Healthy". Few
	// tokens have a refresh token's end at all (tokens_reconnect).
	var reconnectSoon, rsDisabled, rsExpiresSoon int
	nr3, nra3 := notRetired(4)
	err = s.read.QueryRowContext(ctx, `
		SELECT count(*),
		  count(*) FILTER (WHERE renewal_rate = 'disabled'),
		  count(*) FILTER (WHERE expires_at < ?2 AND renewal_rate != 'disabled'
		      AND NOT (next_renewal_at IS NOT NULL AND next_renewal_at < expires_at AND next_renewal_at > ?1))
		FROM tokens INDEXED BY tokens_reconnect
		WHERE `+nr3+`(needs_reconnect = 1 OR refresh_expires_at IS NOT NULL) AND refresh_expires_at > ?1 AND refresh_expires_at <= ?3
		  AND needs_reconnect != 1 AND NOT (failures > 0 AND renewal_rate != 'disabled') AND needs_secret = 0
		  AND expires_at IS NOT NULL AND expires_at > ?1`, append([]any{n, soon, ms(now.Add(token.RefreshWarning))}, nra3...)...).Scan(&reconnectSoon, &rsDisabled, &rsExpiresSoon)
	if err != nil {
		return nil, fmt.Errorf("store: counting statuses: %w", err)
	}
	expiresSoon -= rsExpiresSoon
	notRenewed := disabled - expiredDisabled - unconnectedDisabled - secretDisabled - rsDisabled
	// The retired providers' tokens, out of the maintained totals: their
	// count is maintained too; their Disabled ones are read a scope at a
	// time from the provider index (+c.scope: an operand without affinity,
	// else SQLite does not match the index's expression and scans it).
	retiredCount := 0
	for _, prov := range provs {
		var n, off int
		err := s.read.QueryRowContext(ctx, `SELECT ifnull((SELECT total FROM provider_counts WHERE provider = ?1), 0),
			(SELECT count(*) FROM scope_token_counts c CROSS JOIN tokens INDEXED BY tokens_scope_provider
			 WHERE ifnull(app_id, 0) = +c.scope AND provider = ?1 AND renewal_rate = 'disabled')`, prov).Scan(&n, &off)
		if err != nil {
			return nil, fmt.Errorf("store: counting statuses: %w", err)
		}
		retiredCount += n
		total, notRenewed = total-n, notRenewed-off
	}
	out := map[string]int{
		token.StatusFailing:         failing - attention,
		token.StatusAttention:       attention,
		token.StatusNeedsSecret:     secret,
		token.StatusExpired:         expired - expiredDisabled,
		token.StatusExpiredDisabled: expiredDisabled,
		token.StatusNotConnected:    unconnected,
		token.StatusNotRenewed:      notRenewed,
		token.StatusExpiresSoon:     expiresSoon,
		token.StatusReconnectSoon:   reconnectSoon,
		token.StatusHealthy:         total - failing - secret - expired - unconnected - reconnectSoon - notRenewed - expiresSoon,
		token.StatusNeedsReconnect:  reconnect,
		token.StatusRetired:         retiredCount,
	}
	for k, v := range out {
		if v == 0 {
			delete(out, k)
		}
	}
	return out, nil
}

// schedule recomputes a token's next renewal inside tx, after any change
// to its rate, grant or credentials.
func schedule(ctx context.Context, tx *sql.Tx, id int64, renewable bool, now time.Time) error {
	var rate string
	var last, expires sql.NullInt64
	var reconnect bool
	if err := tx.QueryRowContext(ctx, "SELECT renewal_rate, last_renewed_at, expires_at, needs_reconnect FROM tokens WHERE id = ?", id).Scan(&rate, &last, &expires, &reconnect); err != nil {
		return fmt.Errorf("store: scheduling: %w", err)
	}
	// A token waiting to be reconnected is not renewed: every renewal
	// would be refused.
	next := token.NextRenewal(rate, renewable && !reconnect, fromNullMS(last), fromNullMS(expires), now)
	if _, err := tx.ExecContext(ctx, "UPDATE tokens SET next_renewal_at = ? WHERE id = ?", nullMS(next), id); err != nil {
		return fmt.Errorf("store: scheduling: %w", err)
	}
	return nil
}

// rescheduleEdit writes the renewal state a person's edit of token id
// leaves, as the renewal policy decides (token.AfterEdit): before is the
// token's state as the edit read it; changed says the edit changed a
// field (or replaced the token).
func (s *Store) rescheduleEdit(ctx context.Context, tx *sql.Tx, id int64, before token.Renewal, ch token.Change, changed bool, now time.Time) error {
	var after token.Renewal
	var last, expires sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT last_renewed_at, expires_at, needs_reconnect FROM tokens WHERE id = ?", id).Scan(&last, &expires, &after.NeedsReconnect); err != nil {
		return fmt.Errorf("store: scheduling: %w", err)
	}
	after.LastRenewedAt, after.ExpiresAt = fromNullMS(last), fromNullMS(expires)
	r := token.AfterEdit(before, after, ch.Rate, ch.Renewable, changed, now)
	if r.Restart {
		if _, err := tx.ExecContext(ctx, "UPDATE tokens SET attention_since = NULL, failing_since = NULL WHERE id = ?", id); err != nil {
			return fmt.Errorf("store: restarting renewal: %w", err)
		}
	}
	if !r.Set {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "UPDATE tokens SET next_renewal_at = ? WHERE id = ?", nullMS(r.NextAt), id); err != nil {
		return fmt.Errorf("store: scheduling: %w", err)
	}
	return nil
}
