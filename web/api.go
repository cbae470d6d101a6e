package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/index"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/store"
	"golang.org/x/time/rate"
)

// apiState is the runtime API's memory: a rate limiter per client key and
// the usage counted since the last flush (one write per flush, not per
// fetch).
type apiState struct {
	limit rate.Limit
	burst int

	mu       sync.Mutex
	limiters map[int64]*rate.Limiter
	usage    store.Usage
}

func newAPIState(perSecond float64) *apiState {
	if perSecond <= 0 {
		perSecond = 50
	}
	a := &apiState{limit: rate.Limit(perSecond), burst: max(1, int(2*perSecond)), limiters: map[int64]*rate.Limiter{}}
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
	if err := s.Store.RecordUsage(ctx, usage); err != nil {
		s.api.putBack(usage) // the next flush tries again
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
// Refusals are counted in the read audit like every fetch.
func (s *Server) apiClient(c echo.Context, now time.Time) (store.Client, error) {
	h := c.Response().Header()
	h[headerCacheControl] = noStoreValue
	key, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		h.Set("WWW-Authenticate", `Bearer realm="tokendesk"`)
		s.api.record(store.Client{}, 0, "unauthorized", now)
		return store.Client{}, userError(http.StatusUnauthorized, "Send an API client key as: Authorization: Bearer <key>.")
	}
	cl, err := store.Client{}, store.ErrNotFound
	if strings.HasPrefix(key, store.KeyPrefix) {
		cl, err = s.index.Client(c.Request().Context(), store.HashKey(key))
	}
	if errors.Is(err, store.ErrNotFound) {
		h.Set("WWW-Authenticate", `Bearer realm="tokendesk", error="invalid_token"`)
		s.api.record(store.Client{}, 0, "unauthorized", now)
		return cl, userError(http.StatusUnauthorized, "This API client key is not valid, or it was revoked.")
	}
	if err != nil {
		return cl, err
	}
	r := s.api.limiter(cl.ID).ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		s.api.record(cl, 0, "rate_limited", now)
		h.Set("Retry-After", fmt.Sprint(int(math.Ceil(d.Seconds()))))
		return cl, userError(http.StatusTooManyRequests, fmt.Sprintf("Too many requests with this key; the limit is %g a second. Retry after the time in Retry-After.", float64(s.api.limit)))
	}
	return cl, nil
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
		return userError(http.StatusNotFound, fmt.Sprintf("No access token named “%s” is available to this client.", truncateRunes(name, 100)))
	}
	if err != nil {
		return err
	}
	body, err := s.answer(t, now)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			s.api.record(cl, t.ID, apiCode(he.Code), now)
		}
		return err
	}
	s.api.record(cl, t.ID, store.ReadOK, now)
	return c.JSONBlob(http.StatusOK, body)
}

// answer is the JSON a consumer gets for t now. Stored access tokens are
// encoded once per change of the token and kept with it in the index;
// credentials minted per call (a Zoom JWT) are made afresh.
func (s *Server) answer(t *index.Token, now time.Time) ([]byte, error) {
	p, ok := registry.ByID(t.Provider)
	if !ok { // a provider this version no longer knows
		return nil, userError(http.StatusNotFound, fmt.Sprintf("No access token named “%s” is available to this client.", truncateRunes(t.Name, 100)))
	}
	var cred provider.Credential
	if p.Runtime != nil {
		var err error
		if cred, err = p.Runtime(now, t.Values); err != nil {
			return nil, err
		}
	} else {
		cred = provider.Credential{AccessToken: t.Values["access_token"], TokenType: "Bearer", ExpiresAt: t.ExpiresAt}
		switch {
		case cred.AccessToken == "":
			return nil, userError(http.StatusConflict, fmt.Sprintf("“%s” has no access token yet: get one in the console, or wait for its renewal.", t.Name))
		case !cred.ExpiresAt.IsZero() && !now.Before(cred.ExpiresAt):
			return nil, userError(http.StatusConflict, fmt.Sprintf("The access token of “%s” expired at %s and has not been renewed yet.", t.Name, cred.ExpiresAt.Format(time.RFC3339)))
		}
		if body := t.Answer(); body != nil {
			return body, nil
		}
	}
	ans := tokenAnswer{Name: t.Name, Provider: t.Provider, Scope: "global", AccessToken: cred.AccessToken, TokenType: cred.TokenType}
	if t.AppID != 0 {
		ans.Scope = "app"
	}
	if !cred.ExpiresAt.IsZero() {
		exp := cred.ExpiresAt.UTC().Format(time.RFC3339)
		ans.ExpiresAt = &exp
	}
	body, err := json.Marshal(ans)
	if err != nil {
		return nil, err
	}
	if p.Runtime == nil {
		t.SetAnswer(body)
	}
	return body, nil
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
