package web

import (
	"context"
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
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/renewal"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"
)

const ctxClient = "api_client"

// apiState is the runtime API's memory: a rate limiter per client key and
// usage counts waiting to be written (one write per flush, not per fetch).
type apiState struct {
	limit rate.Limit
	burst int

	mu       sync.Mutex
	limiters map[int64]*rate.Limiter
	usage    map[[3]int64]*store.Usage

	// flight makes consumers asking for one stale token share one renewal.
	flight singleflight.Group
}

func newAPIState(perSecond float64) *apiState {
	if perSecond <= 0 {
		perSecond = 50
	}
	return &apiState{limit: rate.Limit(perSecond), burst: max(1, int(2*perSecond)),
		limiters: map[int64]*rate.Limiter{}, usage: map[[3]int64]*store.Usage{}}
}

func (a *apiState) limiter(clientID int64) *rate.Limiter {
	a.mu.Lock()
	defer a.mu.Unlock()
	l, ok := a.limiters[clientID]
	if !ok {
		l = rate.NewLimiter(a.limit, a.burst)
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

func (a *apiState) record(tokenID, appID, clientID int64, at time.Time) {
	a.add(store.Usage{TokenID: tokenID, AppID: appID, ClientID: clientID, Count: 1, Last: at})
}

// add merges counted usage into what waits for the next flush.
func (a *apiState) add(in store.Usage) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := [3]int64{in.TokenID, in.AppID, in.ClientID}
	u, ok := a.usage[k]
	if !ok {
		u = &store.Usage{TokenID: in.TokenID, AppID: in.AppID, ClientID: in.ClientID}
		a.usage[k] = u
	}
	u.Count += in.Count
	if in.Last.After(u.Last) {
		u.Last = in.Last
	}
}

func (a *apiState) take() []store.Usage {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]store.Usage, 0, len(a.usage))
	for _, u := range a.usage {
		out = append(out, *u)
	}
	clear(a.usage)
	return out
}

// FlushUsage writes the usage counted since the last flush (App
// Associations, clients' last use).
func (s *Server) FlushUsage(ctx context.Context) error {
	usage := s.api.take()
	if err := s.Store.RecordUsage(ctx, usage); err != nil {
		// Put them back: the next flush tries again.
		for _, u := range usage {
			s.api.add(u)
		}
		return err
	}
	return nil
}

// RunBackground flushes usage every few seconds until ctx ends, then once more.
func (s *Server) RunBackground(ctx context.Context) {
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
func (s *Server) apiClient(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		key, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		if !ok || strings.TrimSpace(key) == "" {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="tokendesk"`)
			return userError(http.StatusUnauthorized, "Send an API client key as: Authorization: Bearer <key>.")
		}
		cl, err := s.Store.ClientByKey(c.Request().Context(), strings.TrimSpace(key))
		if errors.Is(err, store.ErrNotFound) {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="tokendesk", error="invalid_token"`)
			return userError(http.StatusUnauthorized, "This API client key is not valid, or it was revoked.")
		}
		if err != nil {
			return err
		}
		r := s.api.limiter(cl.ID).Reserve()
		if d := r.Delay(); d > 0 {
			r.Cancel()
			c.Response().Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(d.Seconds()))))
			return userError(http.StatusTooManyRequests, fmt.Sprintf("Too many requests with this key; the limit is %g a second. Retry after the time in Retry-After.", float64(s.api.limit)))
		}
		c.Set(ctxClient, cl)
		return next(c)
	}
}

// tokenAnswer is the runtime API's answer, as DESIGN.md fixes it.
type tokenAnswer struct {
	Name        string  `json:"name"`
	Provider    string  `json:"provider"`
	Scope       string  `json:"scope"`
	AccessToken string  `json:"access_token"`
	TokenType   string  `json:"token_type"`
	ExpiresAt   *string `json:"expires_at"`
	// SourceID is Redox's source, for the Redox-Source-Id header.
	SourceID string `json:"source_id,omitempty"`
}

// fetchToken answers the current bearer credential of a token, by name.
// An app's own token shadows a global one; a token the client may not see
// gets the same 404 as one that does not exist.
func (s *Server) fetchToken(c echo.Context) error {
	cl := c.Get(ctxClient).(store.Client)
	name := c.Param("name")
	ctx := c.Request().Context()
	notFound := userError(http.StatusNotFound, fmt.Sprintf("No access token named “%s” is available to this client.", truncateRunes(name, 100)))
	t, err := s.Store.ResolveToken(ctx, cl.AppID, name)
	if errors.Is(err, store.ErrNotFound) {
		return notFound
	}
	if err != nil {
		return err
	}
	p, ok := registry.ByID(t.Provider)
	if !ok {
		return notFound
	}
	values, err := s.Store.TokenValues(ctx, t.ID)
	if err != nil {
		return err
	}
	now := s.Now()
	var cred provider.Credential
	if p.Runtime != nil {
		if cred, err = p.Runtime(now, values); err != nil {
			return err
		}
	} else if cred, err = s.freshCredential(ctx, t, p, values); err != nil {
		return err
	}
	now = s.Now()
	s.api.record(t.ID, cl.AppID, cl.ID, now)

	ans := tokenAnswer{Name: t.Name, Provider: t.Provider, Scope: "global", AccessToken: cred.AccessToken, TokenType: cred.TokenType,
		SourceID: values["source_id"]}
	if t.AppID != 0 {
		ans.Scope = "app"
	}
	if !cred.ExpiresAt.IsZero() {
		exp := cred.ExpiresAt.UTC().Format(time.RFC3339)
		ans.ExpiresAt = &exp
	}
	return c.JSON(http.StatusOK, ans)
}

// staleWithin: a stored token this close to its expiry is not handed out;
// a consumer could not use it before it expired.
const staleWithin = 5 * time.Second

// freshCredential is the stored access token, never an expired one. If
// renewal has not kept up (a 5-minute token, a worker behind, a token
// never obtained) and the token is renewed at all (not Disabled), a fresh
// token is obtained at once through the renewal worker: one provider call per token however many consumers ask at once
// (singleflight in this process, the renewal lease across processes).
func (s *Server) freshCredential(ctx context.Context, t token.Token, p provider.Provider, values map[string]string) (provider.Credential, error) {
	usable := func(t token.Token, values map[string]string) (provider.Credential, bool) {
		c := provider.Credential{AccessToken: values["access_token"], TokenType: "Bearer", ExpiresAt: t.ExpiresAt}
		return c, c.AccessToken != "" && (c.ExpiresAt.IsZero() || s.Now().Before(c.ExpiresAt.Add(-staleWithin)))
	}
	fresh := func(t token.Token) bool {
		return !t.ExpiresAt.IsZero() && s.Now().Before(t.ExpiresAt.Add(-staleWithin))
	}
	if c, ok := usable(t, values); ok {
		return c, nil
	}
	// Renewal Rate Disabled means tokendesk never calls the provider on its own.
	if p.Renew != nil && s.Renewer != nil && t.Rate != token.Disabled {
		// The renewal outlives a consumer that gives up: others may wait on it.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), actionTimeout)
		defer cancel()
		_, err, _ := s.api.flight.Do(strconv.FormatInt(t.ID, 10), func() (any, error) {
			// A flight that ended just before this one began may have
			// renewed the token already.
			if cur, err := s.Store.TokenByID(rctx, t.ID); err != nil || fresh(cur) {
				return nil, err
			}
			return nil, s.renewForConsumer(rctx, t.ID)
		})
		var failure *renewal.Failure
		if err != nil && !errors.As(err, &failure) {
			return provider.Credential{}, err
		}
		fresh, ferr := s.Store.TokenByID(ctx, t.ID)
		if ferr != nil {
			return provider.Credential{}, ferr
		}
		vals, ferr := s.Store.TokenValues(ctx, t.ID)
		if ferr != nil {
			return provider.Credential{}, ferr
		}
		if c, ok := usable(fresh, vals); ok {
			return c, nil
		}
		if failure != nil {
			return provider.Credential{}, userError(http.StatusConflict, fmt.Sprintf("“%s” needed a new access token and obtaining one failed: %s", t.Name, failure.Message))
		}
		t = fresh
	}
	if values["access_token"] == "" {
		return provider.Credential{}, userError(http.StatusConflict, fmt.Sprintf("“%s” has no access token yet: get one in the console, or wait for its renewal.", t.Name))
	}
	return provider.Credential{}, userError(http.StatusConflict, fmt.Sprintf("The access token of “%s” expired at %s and has not been renewed yet.", t.Name, t.ExpiresAt.Format(time.RFC3339)))
}

// renewForConsumer renews token id now; if another worker holds its lease,
// it waits for that renewal instead of starting a second one.
func (s *Server) renewForConsumer(ctx context.Context, id int64) error {
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
		if !t.ExpiresAt.IsZero() && s.Now().Before(t.ExpiresAt.Add(-staleWithin)) {
			return nil // the other renewal finished
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
