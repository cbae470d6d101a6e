package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/store"
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

// RunBackground flushes usage every few seconds until ctx ends, then once
// more, and keeps the runtime API's index current with other processes'
// writes.
func (s *Server) RunBackground(ctx context.Context) {
	go s.index.Run(ctx, s.Logger)
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
		key = strings.TrimSpace(key)
		cl, err := store.Client{}, store.ErrNotFound
		if strings.HasPrefix(key, store.KeyPrefix) {
			cl, err = s.index.Client(c.Request().Context(), store.HashKey(key))
		}
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
}

// fetchToken answers the current bearer credential of a token, by name.
// An app's own token shadows a global one; a token the client may not see
// gets the same 404 as one that does not exist.
func (s *Server) fetchToken(c echo.Context) error {
	cl := c.Get(ctxClient).(store.Client)
	name := c.Param("name")
	ctx := c.Request().Context()
	notFound := userError(http.StatusNotFound, fmt.Sprintf("No access token named “%s” is available to this client.", truncateRunes(name, 100)))
	t, err := s.index.Resolve(ctx, cl.AppID, name)
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
	values := t.Values
	now := s.Now()
	var cred provider.Credential
	if p.Runtime != nil {
		if cred, err = p.Runtime(now, values); err != nil {
			return err
		}
	} else {
		cred = provider.Credential{AccessToken: values["access_token"], TokenType: "Bearer", ExpiresAt: t.ExpiresAt}
		switch {
		case cred.AccessToken == "":
			return userError(http.StatusConflict, fmt.Sprintf("“%s” has no access token yet: get one in the console, or wait for its renewal.", t.Name))
		case !cred.ExpiresAt.IsZero() && !now.Before(cred.ExpiresAt):
			return userError(http.StatusConflict, fmt.Sprintf("The access token of “%s” expired at %s and has not been renewed yet.", t.Name, cred.ExpiresAt.Format(time.RFC3339)))
		}
	}
	s.api.record(t.ID, cl.AppID, cl.ID, now)

	ans := tokenAnswer{Name: t.Name, Provider: t.Provider, Scope: "global", AccessToken: cred.AccessToken, TokenType: cred.TokenType}
	if t.AppID != 0 {
		ans.Scope = "app"
	}
	if !cred.ExpiresAt.IsZero() {
		exp := cred.ExpiresAt.UTC().Format(time.RFC3339)
		ans.ExpiresAt = &exp
	}
	return c.JSON(http.StatusOK, ans)
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
