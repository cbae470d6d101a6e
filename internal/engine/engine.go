// Package engine is the runtime API without HTTP: a consumer's key and a
// token's name in, the answer's bytes or a refusal out. It holds what a
// fetch needs besides the database: the index (tokens and keys in
// memory), the per-key rate limit shared among replicas, the read audit
// and refusal buffers flushed every few seconds, the freshness policy and
// on-demand renewal. The web handlers adapt it to HTTP and nothing more;
// the engine is tested here without a server.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tokendesk/tokendesk/internal/index"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
)

// Renewer renews a token at once (on demand); *renewal.Worker implements it.
type Renewer interface {
	RenewNow(ctx context.Context, id int64) error
}

// Config is what an Engine works with.
type Config struct {
	Store  *store.Store
	Logger *slog.Logger
	// Now is the clock.
	Now func() time.Time
	// Renewer is the renewal worker as it is now (nil: none), read at
	// every on-demand renewal.
	Renewer func() Renewer
	// RateLimit is the fetches a second allowed per key across all
	// replicas (0: 50).
	RateLimit float64
	// ReplicaID names this process among those sharing the database.
	ReplicaID string
	// ProviderURLs are the services' configured base URLs (for the
	// proxy's API base of a provider that has one).
	ProviderURLs map[string]string
	// RenewTimeout bounds a renewal a consumer caused (it outlives the
	// consumer's request).
	RenewTimeout time.Duration
}

// Engine is the runtime API. Create it with New.
type Engine struct {
	Config
	// Index is the runtime API's memory of tokens and keys.
	Index    *index.Index
	api      *apiState
	keys     keys
	refusals *refusalLog
}

// New returns an engine for cfg, with an empty index over cfg.Store.
func New(cfg Config) *Engine {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Renewer == nil {
		cfg.Renewer = func() Renewer { return nil }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Engine{
		Config:   cfg,
		Index:    index.New(cfg.Store, cfg.Now, AnswerFields),
		api:      newAPIState(cfg.RateLimit),
		refusals: newRefusalLog(),
	}
}

// Request is a fetch or a report as the engine needs it: the
// Authorization header as sent, the token name asked for, and the
// consumer's address (for the refusal log).
type Request struct {
	Authorization string
	Name          string
	Address       string
}

// Refusal is the runtime API's answer that is not a token: a status, a
// code and a message for the consumer, with Retry-After (Retry, zero for
// none) and WWW-Authenticate where they apply. Its Body is the JSON error.
type Refusal struct {
	Status          int
	Code            string
	Message         string
	Retry           time.Duration
	WWWAuthenticate string
}

func (e *Refusal) Error() string { return e.Message }

// RetryAfter is Retry as the header says it: whole seconds, rounded up
// ("" when there is no wait).
func (e *Refusal) RetryAfter() string {
	if e.Retry <= 0 {
		return ""
	}
	return retrySeconds(e.Retry)
}

// Body is the refusal's JSON: {"error":{"code","message"}}.
func (e *Refusal) Body() []byte { return ErrorJSON(e.Code, e.Message) }

// refuseWith is a Refusal whose code is the status's usual one.
func refuseWith(status int, msg string) *Refusal {
	return &Refusal{Status: status, Code: Code(status), Message: msg}
}

// Code is the error code the runtime API gives a status with no code of
// its own.
func Code(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return "bad_request"
	case http.StatusConflict:
		return "conflict"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	}
	return "internal"
}

// Fetch answers the current bearer credential of a token, by name, as the
// JSON body of a 200. An app's own token shadows a global one; a token
// the client may not see gets the same 404 as one that does not exist.
// The error is a *Refusal for everything the consumer is told, or what
// kept the engine from answering (the database away, say).
func (e *Engine) Fetch(ctx context.Context, r Request) ([]byte, error) {
	now := e.Now()
	cl, err := e.client(ctx, r, now)
	if err != nil {
		return nil, err
	}
	t, err := e.Index.Resolve(ctx, cl.AppID, r.Name)
	if errors.Is(err, store.ErrNotFound) {
		e.api.record(cl, 0, "not_found", now)
		e.refuse(r, cl, store.RefusedNotFound, "", now)
		return nil, notAvailable(r.Name)
	}
	if err != nil {
		return nil, err
	}
	if t.ProxyOnly {
		return nil, e.refuseToken(r, cl, t.ID, "", proxyOnly(t.Name), now)
	}
	body, err := e.answer(ctx, cl, t, now)
	if err != nil {
		return nil, e.refuseToken(r, cl, t.ID, "", err, now)
	}
	e.api.record(cl, t.ID, store.ReadOK, now)
	return body, nil
}

// client authenticates the request's client key and rate-limits it.
// Refusals are counted in the read audit like every fetch. The client is
// the one kept for the key, shared by every fetch with it: read, never
// written (a fetch reads its id and app; copying all of it was three
// cache lines a fetch).
func (e *Engine) client(ctx context.Context, r Request, now time.Time) (*store.Client, error) {
	key, ok := strings.CutPrefix(r.Authorization, "Bearer ")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		e.api.record(&noClient, 0, "unauthorized", now)
		e.refuse(r, &noClient, store.RefusedMissingKey, "", now)
		ref := refuseWith(http.StatusUnauthorized, "Send an API client key as: Authorization: Bearer <key>.")
		ref.WWWAuthenticate = `Bearer realm="tokendesk"`
		return nil, ref
	}
	var k *keyed
	err := error(store.ErrNotFound)
	if strings.HasPrefix(key, store.KeyPrefix) {
		k, err = e.keyOf(ctx, key)
	}
	if errors.Is(err, store.ErrNotFound) {
		e.api.record(&noClient, 0, "unauthorized", now)
		e.refuse(r, &noClient, store.RefusedBadKey, key, now)
		ref := refuseWith(http.StatusUnauthorized, "This API client key is not valid, or it was revoked.")
		ref.WWWAuthenticate = `Bearer realm="tokendesk", error="invalid_token"`
		return nil, ref
	}
	if err != nil {
		return nil, err
	}
	cl := &k.client
	res := k.limiter.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		e.api.record(cl, 0, "rate_limited", now)
		e.refuse(r, cl, store.RefusedRateLimited, "", now)
		ref := refuseWith(http.StatusTooManyRequests, fmt.Sprintf("Too many requests with this key; the limit is %g a second. Retry after the time in Retry-After.", float64(e.api.limit)))
		ref.Retry = time.Duration(math.Ceil(d.Seconds())) * time.Second
		return cl, ref
	}
	return cl, nil
}

// noClient stands for the client of a request without a valid key, in the
// read audit and the refusal log; never written.
var noClient store.Client

// refuseToken is err, why token id was not handed out, counted in the read
// audit under outcome+code and listed in the refusal log when it is a
// refusal; anything else is returned as it is.
func (e *Engine) refuseToken(r Request, cl *store.Client, id int64, outcome string, err error, now time.Time) error {
	var ref *Refusal
	if errors.As(err, &ref) {
		e.api.record(cl, id, outcome+ref.Code, now)
		e.refuse(r, cl, ref.Code, "", now)
	}
	return err
}

// answer is the JSON a consumer gets for t now. It is encoded once per
// change of the token and kept with it in the index.
func (e *Engine) answer(ctx context.Context, cl *store.Client, t *index.Token, now time.Time) ([]byte, error) {
	// The usual fetch first, without the provider: an answer is kept only
	// for a token whose provider is known and not retired (which no
	// version changes while it runs), and nothing was reported refused.
	if body := t.AnswerAt(now); body != nil { // servableUntil
		return body, nil
	}
	p, ok := registry.ByID(t.Provider)
	if !ok { // a provider this version no longer knows
		return nil, notAvailable(t.Name)
	}
	if p.Retired != "" {
		// A credential the vendor refuses (a Zoom JWT: code 124) is worse
		// than none: the consumer learns what to do instead.
		return nil, &Refusal{Status: http.StatusGone, Code: "retired",
			Message: fmt.Sprintf("“%s”: %s. %s", t.Name, p.Retired, p.Notice)}
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
	cred, values, err := e.freshCredential(ctx, cl, t.Token, p, t.Values)
	if err != nil {
		return nil, err
	}
	// Only an answer made from this version of the token is kept with it:
	// a token just renewed on demand is already a newer version.
	cacheable := cred.AccessToken == t.Values[p.Tokens.Access] && cred.ExpiresAt.Equal(t.Expiry())
	ans := Answer{Name: t.Name, Provider: t.Provider, Scope: "global", AccessToken: cred.AccessToken, TokenType: cred.TokenType}
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
	// Not json.Marshal: it would escape <, > and & again (see json.go).
	body, err := ans.MarshalJSON()
	if err != nil {
		return nil, err
	}
	if cacheable {
		t.SetAnswer(body, servableUntil(t.Token))
	}
	return body, nil
}

// AnswerFields are the stored values an answer is made of, as the
// provider declares them: the access token and what goes with it.
func AnswerFields(providerID string) []string {
	p, ok := registry.ByID(providerID)
	if !ok {
		return nil
	}
	fields := append([]string{p.Tokens.Access}, p.Tokens.Answer...)
	if p.API != nil {
		// What the proxy needs to know where to send a token's calls
		// (never part of an answer: Answer alone makes one).
		fields = append(fields, p.API.Fields...)
		fields = append(fields, provider.KeyProxyOnly)
	}
	if p.PublicKeys != nil {
		// Not part of an answer: a key nobody registered yet means the
		// token is not connected, and the service is not asked.
		fields = append(fields, token.KeyAwaiting)
	}
	return fields
}

// notAvailable is the one 404 of the runtime API: a token that does not
// exist and one the client may not use read the same, so names do not leak.
func notAvailable(name string) error {
	return refuseWith(http.StatusNotFound, fmt.Sprintf("No access token named “%s” is available to this client.", TruncateRunes(name, 100)))
}

// retrySeconds says a wait as Retry-After does: whole seconds, rounded up.
func retrySeconds(d time.Duration) string {
	return strconv.FormatInt(int64(math.Ceil(d.Seconds())), 10)
}

// TruncateRunes shortens s to n runes and an ellipsis.
func TruncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
