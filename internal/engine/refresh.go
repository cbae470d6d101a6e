package engine

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/tokendesk/tokendesk/internal/index"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/renewal"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
)

// refreshGap is the least time between two renewals an app's report can
// cause for one token: an app that reports every token it gets as refused
// (a bug, or a service refusing for another reason) cannot make tokendesk
// storm the service.
const refreshGap = 30 * time.Second

// Read audit outcomes of a report: counted apart from fetches.
const (
	ReadRefreshed        = "refreshed"
	RefreshRefusedPrefix = "refresh_"
)

// rejectRenewer renews a token an app reported refused; *renewal.Worker
// implements it.
type rejectRenewer interface {
	RenewRejected(ctx context.Context, id int64, isRejected func(access string) bool, minGap time.Duration) error
}

// Refresh is POST /api/v1/tokens/{name}/refresh with the JSON body
// {"rejected_token": "…"} (body): the same key and permissions as a
// fetch. If the reported token is still the current one it is renewed
// (once, across requests and replicas, honouring backoff and Retry-After,
// at most every refreshGap) and the answer is a fetch's; if it was
// replaced already, the current one, without asking the service; if it
// cannot be renewed, a 409 naming why.
func (e *Engine) Refresh(ctx context.Context, r Request, body io.Reader) ([]byte, error) {
	now := e.Now()
	cl, err := e.client(ctx, r, now)
	if err != nil {
		return nil, err
	}
	var in struct {
		RejectedToken *string `json:"rejected_token"`
	}
	dec := json.NewDecoder(io.LimitReader(body, 64<<10))
	if err := dec.Decode(&in); err != nil || in.RejectedToken == nil || *in.RejectedToken == "" {
		e.api.record(cl, 0, RefreshRefusedPrefix+"bad_request", now)
		return nil, refuseWith(http.StatusBadRequest,
			`Send the access token the service refused as JSON: {"rejected_token": "<access token>"}.`)
	}
	t, err := e.Index.Resolve(ctx, cl.AppID, r.Name)
	if errors.Is(err, store.ErrNotFound) {
		e.api.record(cl, 0, RefreshRefusedPrefix+"not_found", now)
		e.refuse(r, cl, store.RefusedNotFound, "", now)
		return nil, notAvailable(r.Name)
	}
	if err != nil {
		return nil, err
	}
	if t.Values[provider.KeyProxyOnly] != "" {
		return nil, e.refuseToken(r, cl, t.ID, RefreshRefusedPrefix, proxyOnly(t.Name), now)
	}
	answer, err := e.refreshed(ctx, cl, t, *in.RejectedToken, now)
	if err != nil {
		return nil, e.refuseToken(r, cl, t.ID, RefreshRefusedPrefix, err, now)
	}
	e.api.record(cl, t.ID, ReadRefreshed, now)
	return answer, nil
}

// sameAccessToken compares an access token an app reported refused with
// the stored one in constant time (of their hashes, so that not even the
// length leaks).
func sameAccessToken(reported, stored string) bool {
	if stored == "" {
		return false
	}
	a, b := sha256.Sum256([]byte(reported)), sha256.Sum256([]byte(stored))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// refreshed is the answer to a report of rejected on token t.
func (e *Engine) refreshed(ctx context.Context, cl *store.Client, t *index.Token, rejected string, now time.Time) ([]byte, error) {
	p, ok := registry.ByID(t.Provider)
	if !ok {
		return nil, notAvailable(t.Name)
	}
	if p.Retired != "" {
		return e.answer(ctx, cl, t, now) // its 410
	}
	// Another replica may have renewed the token within the last poll:
	// the database, not this process's memory, says what is current.
	for range 3 {
		cur, vals, err := e.currentToken(ctx, t.Token)
		if err != nil {
			return nil, err
		}
		if !sameAccessToken(rejected, vals[p.Tokens.Access]) {
			return e.answerFrom(ctx, cl, cur, vals, now) // already replaced: the service is not asked
		}
		// Only a hash is kept: enough for every replica to know the token
		// is refused (review finding 1), and no secret.
		if err := e.Store.RecordRejection(ctx, cur.ID, token.RejectedHash(rejected), now, cl.Name, refreshGap); err != nil {
			return nil, err
		}
		page := tokenPagePath(cur)
		rr, renews := e.Renewer().(rejectRenewer)
		switch {
		case cur.MustReconnect(now):
			return nil, refusedFor(cur, now)
		case cur.NeedsSecret:
			return nil, needsSecret(cur)
		case p.Renew == nil || !renews:
			return nil, &Refusal{Status: http.StatusConflict, Code: "cannot_renew", Message: fmt.Sprintf(
				"“%s” cannot be renewed by tokendesk: its service gives no way to. Enter a new access token on its page in tokendesk (%s).", cur.Name, page)}
		case cur.Rate == token.Disabled:
			return nil, conflict(token.StatusExpiredDisabled, fmt.Sprintf(
				"“%s” is not renewed: its Renewal Rate is Disabled. Choose a Renewal Rate (or get a new token) on its page in tokendesk: %s.", cur.Name, page))
		case backingOff(cur, e.Now()):
			return nil, renewalFailed(cur, e.Now())
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.RenewTimeout)
		rctx = store.WithActor(rctx, fmt.Sprintf("API client “%s”", cl.Name))
		_, err, _ = e.api.flight.Do("refresh:"+strconv.FormatInt(cur.ID, 10), func() (any, error) {
			return nil, rr.RenewRejected(rctx, cur.ID, func(access string) bool { return sameAccessToken(rejected, access) }, refreshGap)
		})
		cancel()
		var failure *renewal.Failure
		var soon *renewal.TooSoon
		switch {
		case err == nil, errors.Is(err, renewal.ErrReplaced):
			continue // answered from what is stored now
		case errors.Is(err, store.ErrLeased):
			// Another process is renewing it: wait for that, then look again.
			if err := e.awaitLease(ctx, cur.ID); err != nil {
				return nil, err
			}
			continue
		case errors.As(err, &soon):
			return nil, tooSoon(cur, soon.Until, e.Now())
		case errors.As(err, &failure) && failure.Reconnect:
			return nil, conflict(token.StatusNeedsReconnect, fmt.Sprintf("“%s” cannot be renewed: %s", cur.Name, failure.Message))
		case errors.As(err, &failure):
			latest, _, rerr := e.currentToken(ctx, t.Token)
			if rerr != nil {
				return nil, rerr
			}
			return nil, renewalFailed(latest, e.Now())
		case errors.Is(err, renewal.ErrNeedsReconnect):
			return nil, refusedFor(cur, e.Now())
		case errors.Is(err, store.ErrNotFound):
			return nil, notAvailable(t.Name)
		case errors.Is(err, store.ErrStale), errors.Is(err, store.ErrLeaseLost), errors.Is(err, context.DeadlineExceeded):
			continue
		default:
			return nil, err
		}
	}
	return nil, unavailable("busy", busyRetry, fmt.Sprintf("“%s” was changed or renewed elsewhere while this request renewed it; retry after the time in Retry-After.", t.Name))
}

// answerFrom is a fetch's answer made from a token as just read from the
// database (not from this process's memory, which may be a poll behind).
func (e *Engine) answerFrom(ctx context.Context, cl *store.Client, cur token.Token, vals map[string]string, now time.Time) ([]byte, error) {
	slim := cur
	slim.Stored = nil
	return e.answer(ctx, cl, &index.Token{Token: slim, Values: vals}, now)
}

// awaitLease waits until no process holds token id's renewal lease.
func (e *Engine) awaitLease(ctx context.Context, id int64) error {
	deadline := time.Now().Add(e.RenewTimeout)
	for time.Now().Before(deadline) {
		until, err := e.Store.LeaseUntil(ctx, id)
		if err != nil {
			return err
		}
		if until.IsZero() || !until.After(e.Now()) {
			return nil
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return unavailable("busy", busyRetry, "The token is being renewed elsewhere; retry after the time in Retry-After.")
}
