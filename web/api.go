package web

import (
	"context"
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/index"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/renewal"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"
)

// apiState is the runtime API's memory: a rate limiter per client key and
// the usage counted since the last flush (one write per flush, not per
// fetch).
type apiState struct {
	limit rate.Limit // per key, for the whole installation
	burst int

	mu       sync.Mutex
	limiters map[int64]*rate.Limiter
	// replicas is how many processes share the limit (api_replicas.go):
	// each allows its share, limit/replicas.
	replicas int
	usage    store.Usage

	// flight makes consumers asking for one stale token share one renewal.
	flight singleflight.Group
}

func newAPIState(perSecond float64) *apiState {
	if perSecond <= 0 {
		perSecond = 50
	}
	a := &apiState{limit: rate.Limit(perSecond), burst: max(1, int(2*perSecond)), limiters: map[int64]*rate.Limiter{}, replicas: 1}
	a.usage = newUsage()
	return a
}

func newUsage() store.Usage {
	return store.Usage{Reads: map[store.ReadKey]int64{}, Uses: map[store.TokenUseKey]store.TokenUse{}, Clients: map[int64]time.Time{}}
}

func (a *apiState) limiter(clientID int64) *rate.Limiter {
	a.mu.Lock()
	defer a.mu.Unlock()
	l, ok := a.limiters[clientID]
	if !ok {
		l = rate.NewLimiter(a.share())
		a.limiters[clientID] = l
	}
	return l
}

// forget drops a revoked client's limiter.
func (a *apiState) forget(clientID int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.limiters, clientID)
}

// record counts one fetch: always in the read audit; a served one also in
// App Associations and as its client's last use.
func (a *apiState) record(cl store.Client, tokenID int64, outcome string, at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.usage.Reads[store.ReadKey{Minute: at.Unix() / 60, ClientID: cl.ID, TokenID: tokenID, Outcome: outcome}]++
	if outcome != store.ReadOK {
		return
	}
	k := store.TokenUseKey{TokenID: tokenID, AppID: cl.AppID}
	use := a.usage.Uses[k]
	use.Count++
	use.Last = maxTime(use.Last, at)
	a.usage.Uses[k] = use
	a.usage.Clients[cl.ID] = maxTime(a.usage.Clients[cl.ID], at)
}

// forgetApp drops what was counted for a deleted app's clients: written
// later, it would be credited to whichever app is created next with the
// same id.
func (a *apiState) forgetApp(appID int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
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
func (s *Server) FlushUsage(ctx context.Context) error {
	usage := s.api.take()
	if err := s.recordUsage(ctx, usage); err != nil {
		return err // what was not written is back for the next flush
	}
	return s.FlushRefusals(ctx)
}

// RunBackground flushes usage every few seconds until ctx ends, then once
// more, and keeps the runtime API's index current with other processes'
// writes.
func (s *Server) RunBackground(ctx context.Context) {
	go s.index.Run(ctx, s.Logger)
	go s.runRetention(ctx)
	left := make(chan struct{})
	go func() { s.runHeartbeat(ctx); close(left) }()
	defer func() { <-left }() // leave the replicas before the store closes
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := s.FlushUsage(ctx); err != nil {
				s.Logger.Warn("recording API usage", "err", err)
			}
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := s.FlushUsage(fctx); err != nil {
				s.Logger.Warn("recording API usage", "err", err)
			}
			cancel()
			return
		}
	}
}

// apiClient authenticates the request's client key and rate-limits it.
// Refusals are counted in the read audit like every fetch.
func (s *Server) apiClient(c echo.Context, now time.Time) (store.Client, error) {
	h := c.Response().Header()
	h[headerCacheControl] = noStoreValue
	key, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		h.Set("WWW-Authenticate", `Bearer realm="tokendesk"`)
		s.api.record(store.Client{}, 0, "unauthorized", now)
		s.refuse(c, store.Client{}, store.RefusedMissingKey, "", now)
		return store.Client{}, userError(http.StatusUnauthorized, "Send an API client key as: Authorization: Bearer <key>.")
	}
	cl, err := store.Client{}, store.ErrNotFound
	if strings.HasPrefix(key, store.KeyPrefix) {
		cl, err = s.index.Client(c.Request().Context(), sha256.Sum256([]byte(key)))
	}
	if errors.Is(err, store.ErrNotFound) {
		h.Set("WWW-Authenticate", `Bearer realm="tokendesk", error="invalid_token"`)
		s.api.record(store.Client{}, 0, "unauthorized", now)
		s.refuse(c, store.Client{}, store.RefusedBadKey, key, now)
		return cl, userError(http.StatusUnauthorized, "This API client key is not valid, or it was revoked.")
	}
	if err != nil {
		return cl, err
	}
	r := s.api.limiter(cl.ID).ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		s.api.record(cl, 0, "rate_limited", now)
		s.refuse(c, cl, store.RefusedRateLimited, "", now)
		h.Set("Retry-After", fmt.Sprint(int(math.Ceil(d.Seconds()))))
		return cl, userError(http.StatusTooManyRequests, fmt.Sprintf("Too many requests with this key; the limit is %g a second. Retry after the time in Retry-After.", float64(s.api.limit)))
	}
	return cl, nil
}

var jsonContentType = []string{echo.MIMEApplicationJSON}

// answerFields are the stored values an answer is made of, as the
// provider declares them: the access token and what goes with it.
func answerFields(providerID string) []string {
	p, ok := registry.ByID(providerID)
	if !ok {
		return nil
	}
	fields := append([]string{p.Tokens.Access}, p.Tokens.Answer...)
	if p.PublicKeys != nil {
		// Not part of an answer: a key nobody registered yet means the
		// token is not connected, and the service is not asked.
		fields = append(fields, token.KeyAwaiting)
	}
	return fields
}

// tokenAnswer is the runtime API's answer, as the README's Runtime API section gives it.
type tokenAnswer struct {
	Name        string  `json:"name"`
	Provider    string  `json:"provider"`
	Scope       string  `json:"scope"`
	AccessToken string  `json:"access_token"`
	TokenType   string  `json:"token_type"`
	ExpiresAt   *string `json:"expires_at"`
	// With are the values the provider hands out with the token, in its
	// order (Redox's source_id; Zoom's api_url: a regional cluster, or
	// https://api.zoomgov.com for ZoomGov). Empty ones are left out.
	With [][2]string `json:"-"`
}

// MarshalJSON writes the fixed fields, then the provider's own, as
// encoding/json would but without HTML escaping (see appendJSONString).
func (a tokenAnswer) MarshalJSON() ([]byte, error) {
	n := 100 + len(a.Name) + len(a.Provider) + len(a.Scope) + len(a.AccessToken) + len(a.TokenType)
	for _, kv := range a.With {
		n += 6 + len(kv[0]) + len(kv[1])
	}
	b := make([]byte, 0, n)
	b = append(b, `{"name":`...)
	b = appendJSONString(b, a.Name)
	b = append(b, `,"provider":`...)
	b = appendJSONString(b, a.Provider)
	b = append(b, `,"scope":`...)
	b = appendJSONString(b, a.Scope)
	b = append(b, `,"access_token":`...)
	b = appendJSONString(b, a.AccessToken)
	b = append(b, `,"token_type":`...)
	b = appendJSONString(b, a.TokenType)
	b = append(b, `,"expires_at":`...)
	if a.ExpiresAt == nil {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, *a.ExpiresAt)
	}
	for _, kv := range a.With {
		if kv[1] == "" {
			continue
		}
		b = append(b, ',')
		b = appendJSONString(b, kv[0])
		b = append(b, ':')
		b = appendJSONString(b, kv[1])
	}
	return append(b, '}'), nil
}

// fetchToken answers the current bearer credential of a token, by name.
// An app's own token shadows a global one; a token the client may not see
// gets the same 404 as one that does not exist.
func (s *Server) fetchToken(c echo.Context) error {
	now := s.Now()
	cl, err := s.apiClient(c, now)
	if err != nil {
		return err
	}
	name := c.Param("name")
	ctx := c.Request().Context()
	t, err := s.index.Resolve(ctx, cl.AppID, name)
	if errors.Is(err, store.ErrNotFound) {
		s.api.record(cl, 0, "not_found", now)
		s.refuse(c, cl, store.RefusedNotFound, "", now)
		return notAvailable(name)
	}
	if err != nil {
		return err
	}
	body, err := s.answer(ctx, cl, t, now)
	if err != nil {
		return s.refuseToken(c, cl, t.ID, "", err, now)
	}
	s.api.record(cl, t.ID, store.ReadOK, now)
	w := c.Response()
	w.Header()[echo.HeaderContentType] = jsonContentType
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}

// refuseToken answers err, why token id was not handed out: an apiError
// as its JSON refusal (with Retry-After where there is a wait), anything
// else as it is. The read audit counts it under outcome+code, and the
// refusal log lists it.
func (s *Server) refuseToken(c echo.Context, cl store.Client, id int64, outcome string, err error, now time.Time) error {
	var ae *apiError
	if errors.As(err, &ae) {
		s.api.record(cl, id, outcome+ae.code, now)
		s.refuse(c, cl, ae.code, "", now)
		if ae.retry > 0 {
			c.Response().Header().Set("Retry-After", retrySeconds(ae.retry))
		}
		return writeAPIError(c, ae.status, ae.code, ae.message)
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		s.api.record(cl, id, outcome+apiCode(he.Code), now)
		s.refuse(c, cl, apiCode(he.Code), "", now)
	}
	return err
}

// answer is the JSON a consumer gets for t now. It is encoded once per
// change of the token and kept with it in the index.
func (s *Server) answer(ctx context.Context, cl store.Client, t *index.Token, now time.Time) ([]byte, error) {
	p, ok := registry.ByID(t.Provider)
	if !ok { // a provider this version no longer knows
		return nil, notAvailable(t.Name)
	}
	if p.Retired != "" {
		// A credential the vendor refuses (a Zoom JWT: code 124) is worse
		// than none: the consumer learns what to do instead.
		return nil, &apiError{status: http.StatusGone, code: "retired",
			message: fmt.Sprintf("“%s”: %s. %s", t.Name, p.Retired, p.Notice)}
	}
	if t.MustReconnect(now) {
		// The service refused the grant, and revoking a grant revokes its
		// access tokens (RFC 7009 §2.1), or the refresh token ran out: the
		// stored one is dead, whatever its expiry says.
		return nil, refusedFor(t.Token, now)
	}
	if body := t.Answer(); body != nil && usableAt(t.Expiry(), now) && !t.Rejected(t.Values[p.Tokens.Access]) {
		return body, nil
	}
	cred, values, err := s.freshCredential(ctx, cl, t.Token, p, t.Values)
	if err != nil {
		return nil, err
	}
	// Only an answer made from this version of the token is kept with it:
	// a token just renewed on demand is already a newer version.
	cacheable := cred.AccessToken == t.Values[p.Tokens.Access] && cred.ExpiresAt.Equal(t.Expiry())
	ans := tokenAnswer{Name: t.Name, Provider: t.Provider, Scope: "global", AccessToken: cred.AccessToken, TokenType: cred.TokenType}
	for _, k := range p.Tokens.Answer {
		ans.With = append(ans.With, [2]string{k, values[k]})
	}
	if t.AppID != 0 {
		ans.Scope = "app"
	}
	if !cred.ExpiresAt.IsZero() {
		exp := cred.ExpiresAt.UTC().Format(time.RFC3339)
		ans.ExpiresAt = &exp
	}
	// Not json.Marshal: it would escape <, > and & again (see api_json.go).
	body, err := ans.MarshalJSON()
	if err != nil {
		return nil, err
	}
	if cacheable {
		t.SetAnswer(body)
	}
	return body, nil
}

// staleWithin: a stored token this close to its expiry is not handed out;
// a consumer could not use it before it expired.
const staleWithin = 5 * time.Second

// usableAt reports whether a token expiring at exp may still be handed out
// at now. Zero (nothing says when it expires: see token.Renewal.Expiry) is
// never usable: an unknown expiry is not "for ever".
func usableAt(exp, now time.Time) bool {
	return !exp.IsZero() && now.Before(exp.Add(-staleWithin))
}

// apiError is a runtime API refusal that is not the client's fault: a
// provider throttling or failing, a token changing under the request
// (both say when to come back), a token its service retired. The handler
// answers it as JSON, with Retry-After where there is a wait, never as a
// 500 page.
type apiError struct {
	status  int
	code    string
	message string
	retry   time.Duration // zero: no Retry-After
}

func (e *apiError) Error() string { return e.message }

// unavailable is a 503 asking the consumer to come back after retry.
func unavailable(code string, retry time.Duration, msg string) *apiError {
	return &apiError{status: http.StatusServiceUnavailable, code: code, message: msg, retry: max(retry, time.Second)}
}

// retrySeconds says a wait as Retry-After does: whole seconds, rounded up.
func retrySeconds(d time.Duration) string {
	return strconv.FormatInt(int64(math.Ceil(d.Seconds())), 10)
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
func (s *Server) freshCredential(ctx context.Context, cl store.Client, t token.Token, p provider.Provider, values map[string]string) (provider.Credential, map[string]string, error) {
	usable := func(t token.Token, values map[string]string) (provider.Credential, bool) {
		c := provider.Credential{AccessToken: values[p.Tokens.Access], TokenType: "Bearer", ExpiresAt: t.Expiry()}
		// Never one an app reported refused (review finding 1).
		return c, !t.MustReconnect(s.Now()) && c.AccessToken != "" && usableAt(c.ExpiresAt, s.Now()) && !t.Rejected(c.AccessToken)
	}
	if t.MustReconnect(s.Now()) {
		return provider.Credential{}, nil, refusedFor(t, s.Now())
	}
	if c, ok := usable(t, values); ok {
		return c, values, nil
	}
	// A key pair nobody registered yet: every request would be refused,
	// so the service is not asked.
	awaiting := values[p.Tokens.Access] == "" && values[token.KeyAwaiting] != ""
	// Renewal Rate Disabled means tokendesk never calls the provider on its own.
	if p.Renew != nil && s.Renewer != nil && t.Rate != token.Disabled && !awaiting && !t.NeedsSecret {
		// The renewal outlives a consumer that gives up: others may wait on
		// it. Its audit entries name the client that caused it.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), actionTimeout)
		defer cancel()
		rctx = store.WithActor(rctx, fmt.Sprintf("API client “%s”", cl.Name))
		_, err, _ := s.api.flight.Do(strconv.FormatInt(t.ID, 10), func() (any, error) {
			// A flight that ended just before this one began may have
			// renewed the token already, or failed and set a retry time.
			cur, err := s.Store.TokenByID(rctx, t.ID)
			if err != nil {
				return nil, err
			}
			ok, refused, err := s.storedServable(rctx, cur, p)
			if err != nil || ok {
				return nil, err
			}
			if backingOff(cur, s.Now()) {
				return nil, errBackingOff
			}
			if cur.MustReconnect(s.Now()) {
				return nil, renewal.ErrNeedsReconnect // the provider is not asked
			}
			if until := cur.LastRenewedAt.Add(refreshGap); refused && s.Now().Before(until) {
				// Renewed less than refreshGap ago and the new token reported
				// refused too: an app reporting and fetching in a loop must
				// not make tokendesk storm the service (as with a report).
				return nil, &renewal.TooSoon{Until: until}
			}
			return nil, s.renewForConsumer(rctx, t.ID, p)
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
		cur, vals, ferr := s.currentToken(ctx, t)
		if ferr != nil {
			return provider.Credential{}, nil, ferr
		}
		if c, ok := usable(cur, vals); ok {
			return c, vals, nil
		}
		if cur.MustReconnect(s.Now()) {
			return provider.Credential{}, nil, refusedFor(cur, s.Now())
		}
		if failure != nil || errors.Is(err, errBackingOff) {
			return provider.Credential{}, nil, renewalFailed(cur, s.Now())
		}
		if soon != nil {
			return provider.Credential{}, nil, tooSoon(cur, soon.Until, s.Now())
		}
		if err != nil {
			return provider.Credential{}, nil, unavailable("busy", busyRetry,
				fmt.Sprintf("“%s” was changed or renewed elsewhere while this request obtained a new access token; retry after the time in Retry-After.", t.Name))
		}
		t = cur
		values = vals
	}
	if t.Rejected(values[p.Tokens.Access]) {
		return provider.Credential{}, nil, reportedRefused(t, p, s.Now())
	}
	return provider.Credential{}, nil, cannotServe(t, p, values, s.Now())
}

// storedServable reports whether cur's stored access token may be handed
// out now (ok): not expiring, no reconnect needed, and not the one an app
// reported refused (refused; its value is read only when an app reported
// one).
func (s *Server) storedServable(ctx context.Context, cur token.Token, p provider.Provider) (ok, refused bool, err error) {
	if cur.MustReconnect(s.Now()) {
		return false, false, nil
	}
	if len(cur.Rejection) > 0 {
		vals, err := s.Store.TokenValuesOf(ctx, cur.ID, []string{p.Tokens.Access})
		if err != nil {
			return false, false, err
		}
		refused = cur.Rejected(vals[p.Tokens.Access])
	}
	return usableAt(cur.Expiry(), s.Now()) && !refused, refused, nil
}

// currentToken reads t again from the database, with the values an
// answer needs (as the index keeps them).
func (s *Server) currentToken(ctx context.Context, t token.Token) (token.Token, map[string]string, error) {
	cur, err := s.Store.TokenByID(ctx, t.ID)
	if errors.Is(err, store.ErrNotFound) {
		return cur, nil, notAvailable(t.Name)
	}
	if err != nil {
		return cur, nil, err
	}
	vals, err := s.Store.TokenValuesOf(ctx, t.ID, answerFields(t.Provider))
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

// notAvailable is the one 404 of the runtime API: a token that does not
// exist and one the client may not use read the same, so names do not leak.
func notAvailable(name string) error {
	return userError(http.StatusNotFound, fmt.Sprintf("No access token named “%s” is available to this client.", truncateRunes(name, 100)))
}

// renewForConsumer renews token id now; if another worker holds its lease,
// it waits for that renewal instead of starting a second one, and never
// starts one while the token is backing off after a failure.
func (s *Server) renewForConsumer(ctx context.Context, id int64, p provider.Provider) error {
	for {
		err := s.Renewer.RenewNow(ctx, id)
		if !errors.Is(err, store.ErrLeased) {
			return err
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
		t, terr := s.Store.TokenByID(ctx, id)
		if terr != nil {
			return terr
		}
		if ok, _, err := s.storedServable(ctx, t, p); err != nil || ok {
			return err // the other renewal finished
		}
		if backingOff(t, s.Now()) {
			return errBackingOff // the other renewal failed
		}
	}
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

//go:embed openapi.json
var openAPIDoc embed.FS

func (s *Server) openAPI(c echo.Context) error {
	b, err := openAPIDoc.ReadFile("openapi.json")
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/json", b)
}
