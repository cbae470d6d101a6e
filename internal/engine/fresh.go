package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/renewal"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
)

// staleWithin: a stored token this close to its expiry is not handed out;
// a consumer could not use it before it expired.
const staleWithin = 5 * time.Second

// usableAt reports whether a token expiring at exp may still be handed out
// at now. Zero (nothing says when it expires: see token.Renewal.Expiry) is
// never usable: an unknown expiry is not "for ever".
func usableAt(exp, now time.Time) bool {
	return !exp.IsZero() && now.Before(exp.Add(-staleWithin))
}

// servableUntil is until when t's kept answer may be handed out without
// looking at t again (zero: never): while it is usable (usableAt), not
// refused by an app (Rejection) and its grant is alive (MustReconnect).
// A token in the index never changes, so this is decided once.
func servableUntil(t token.Token) time.Time {
	exp := t.Expiry()
	if exp.IsZero() || len(t.Rejection) > 0 || t.NeedsReconnect {
		return time.Time{}
	}
	until := exp.Add(-staleWithin)
	if !t.RefreshExpiresAt.IsZero() && t.RefreshExpiresAt.Before(until) {
		until = t.RefreshExpiresAt
	}
	return until
}

// unavailable is a 503 asking the consumer to come back after retry.
func unavailable(code string, retry time.Duration, msg string) *Refusal {
	return &Refusal{Status: http.StatusServiceUnavailable, Code: code, Message: msg, Retry: max(retry, time.Second)}
}

// errBackingOff: the token's last renewal failed and its retry time has
// not come; the provider is not asked again before it.
var errBackingOff = errors.New("renewal backing off")

// busyRetry is the wait suggested when a token changed under the request
// (edited, or renewed by another process) more often than was retried.
const busyRetry = 2 * time.Second

// freshCredential is the stored access token, never an expired one, with
// the values it was read with. If
// renewal has not kept up (a 5-minute token, a worker behind, a token
// never obtained) and the token is renewed at all (not Disabled), a fresh
// token is obtained at once through the renewal worker: one provider call
// per token however many consumers ask at once (singleflight in this
// process, the renewal lease across processes). After a failed renewal
// the provider is not asked again before the token's retry time (its
// backoff, or the wait a throttling provider asked for): consumers polling
// a failing token must not spend the provider's rate limit for the whole
// install.
func (e *Engine) freshCredential(ctx context.Context, cl *store.Client, t token.Token, p provider.Provider, values map[string]string) (provider.Credential, map[string]string, error) {
	usable := func(t token.Token, values map[string]string) (provider.Credential, bool) {
		c := provider.Credential{AccessToken: values[p.Tokens.Access], TokenType: "Bearer", ExpiresAt: t.Expiry()}
		// Never one an app reported refused (review finding 1).
		return c, !t.MustReconnect(e.Now()) && c.AccessToken != "" && usableAt(c.ExpiresAt, e.Now()) && !t.Rejected(c.AccessToken)
	}
	if t.MustReconnect(e.Now()) {
		return provider.Credential{}, nil, refusedFor(t, e.Now())
	}
	if c, ok := usable(t, values); ok {
		return c, values, nil
	}
	// A key pair nobody registered yet: every request would be refused,
	// so the service is not asked.
	awaiting := values[p.Tokens.Access] == "" && values[token.KeyAwaiting] != ""
	// Renewal Rate Disabled means tokendesk never calls the provider on its own.
	if renewer := e.Renewer(); p.Renew != nil && renewer != nil && t.Rate != token.Disabled && !awaiting && !t.NeedsSecret {
		// The renewal outlives a consumer that gives up: others may wait on
		// it. Its audit entries name the client that caused it.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.RenewTimeout)
		defer cancel()
		rctx = store.WithActor(rctx, fmt.Sprintf("API client “%s”", cl.Name))
		_, err, _ := e.api.flight.Do(strconv.FormatInt(t.ID, 10), func() (any, error) {
			// A flight that ended just before this one began may have
			// renewed the token already, or failed and set a retry time.
			cur, err := e.Store.TokenByID(rctx, t.ID)
			if err != nil {
				return nil, err
			}
			ok, refused, err := e.storedServable(rctx, cur, p)
			if err != nil || ok {
				return nil, err
			}
			if backingOff(cur, e.Now()) {
				return nil, errBackingOff
			}
			if cur.MustReconnect(e.Now()) {
				return nil, renewal.ErrNeedsReconnect // the provider is not asked
			}
			if until := cur.LastRenewedAt.Add(refreshGap); refused && e.Now().Before(until) {
				// Renewed less than refreshGap ago and the new token reported
				// refused too: an app reporting and fetching in a loop must
				// not make tokendesk storm the service (as with a report).
				return nil, &renewal.TooSoon{Until: until}
			}
			return nil, e.renewForConsumer(rctx, t.ID, p)
		})
		var failure *renewal.Failure
		var soon *renewal.TooSoon
		switch {
		case err == nil, errors.As(err, &failure), errors.Is(err, errBackingOff), errors.Is(err, renewal.ErrNeedsReconnect), errors.As(err, &soon):
		case errors.Is(err, store.ErrNotFound):
			return provider.Credential{}, nil, notAvailable(t.Name)
		case errors.Is(err, store.ErrStale), errors.Is(err, store.ErrLeaseLost), errors.Is(err, context.DeadlineExceeded):
			// Edited again and again, or renewed by another process, or a
			// renewal elsewhere that did not finish in time: what is stored
			// now may serve; otherwise come back shortly.
		default:
			return provider.Credential{}, nil, err
		}
		cur, vals, ferr := e.currentToken(ctx, t)
		if ferr != nil {
			return provider.Credential{}, nil, ferr
		}
		if c, ok := usable(cur, vals); ok {
			return c, vals, nil
		}
		if cur.MustReconnect(e.Now()) {
			return provider.Credential{}, nil, refusedFor(cur, e.Now())
		}
		if failure != nil || errors.Is(err, errBackingOff) {
			return provider.Credential{}, nil, renewalFailed(cur, e.Now())
		}
		if soon != nil {
			return provider.Credential{}, nil, tooSoon(cur, soon.Until, e.Now())
		}
		if err != nil {
			return provider.Credential{}, nil, unavailable("busy", busyRetry,
				fmt.Sprintf("“%s” was changed or renewed elsewhere while this request obtained a new access token; retry after the time in Retry-After.", t.Name))
		}
		t = cur
		values = vals
	}
	if t.Rejected(values[p.Tokens.Access]) {
		return provider.Credential{}, nil, reportedRefused(t, p, e.Now())
	}
	return provider.Credential{}, nil, cannotServe(t, p, values, e.Now())
}

// storedServable reports whether cur's stored access token may be handed
// out now (ok): not expiring, no reconnect needed, and not the one an app
// reported refused (refused; its value is read only when an app reported
// one).
func (e *Engine) storedServable(ctx context.Context, cur token.Token, p provider.Provider) (ok, refused bool, err error) {
	if cur.MustReconnect(e.Now()) {
		return false, false, nil
	}
	if len(cur.Rejection) > 0 {
		vals, err := e.Store.TokenValuesOf(ctx, cur.ID, []string{p.Tokens.Access})
		if err != nil {
			return false, false, err
		}
		refused = cur.Rejected(vals[p.Tokens.Access])
	}
	return usableAt(cur.Expiry(), e.Now()) && !refused, refused, nil
}

// currentToken reads t again from the database, with the values an
// answer needs (as the index keeps them).
func (e *Engine) currentToken(ctx context.Context, t token.Token) (token.Token, map[string]string, error) {
	cur, err := e.Store.TokenByID(ctx, t.ID)
	if errors.Is(err, store.ErrNotFound) {
		return cur, nil, notAvailable(t.Name)
	}
	if err != nil {
		return cur, nil, err
	}
	vals, err := e.Store.TokenValuesOf(ctx, t.ID, AnswerFields(t.Provider))
	if errors.Is(err, store.ErrNotFound) {
		return cur, nil, notAvailable(t.Name)
	}
	return cur, vals, err
}

// renewalFailed is the 503 for a token whose renewal failed: why, and when
// tokendesk asks the service again (its backoff, or the service's
// Retry-After), as Retry-After.
func renewalFailed(cur token.Token, now time.Time) error {
	wait, again := busyRetry, "Retry after the time in Retry-After."
	if cur.NextRenewalAt.After(now) {
		wait = cur.NextRenewalAt.Sub(now)
		again = fmt.Sprintf("tokendesk asks again after %s; retry after the time in Retry-After.", cur.NextRenewalAt.UTC().Format(time.RFC3339))
	}
	msg := fmt.Sprintf("“%s” needs a new access token and obtaining one failed: %s %s", cur.Name, cur.LastError, again)
	return unavailable("renewal_failed", wait, msg)
}

// backingOff reports whether t's last renewal failed and its retry time
// (backoff or a provider's Retry-After) has not come yet.
func backingOff(t token.Token, now time.Time) bool {
	// A token whose renewal stopped after failing for days (Needs
	// attention) waits for a person: consumers do not restart it.
	return t.Failures > 0 && (t.NextRenewalAt.After(now) || !t.AttentionSince.IsZero())
}

// renewForConsumer renews token id now; if another worker holds its lease,
// it waits for that renewal instead of starting a second one, and never
// starts one while the token is backing off after a failure.
func (e *Engine) renewForConsumer(ctx context.Context, id int64, p provider.Provider) error {
	for {
		err := e.Renewer().RenewNow(ctx, id)
		if !errors.Is(err, store.ErrLeased) {
			return err
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
		t, terr := e.Store.TokenByID(ctx, id)
		if terr != nil {
			return terr
		}
		if ok, _, err := e.storedServable(ctx, t, p); err != nil || ok {
			return err // the other renewal finished
		}
		if backingOff(t, e.Now()) {
			return errBackingOff // the other renewal failed
		}
	}
}
