package web

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/tokendesk/tokendesk/internal/config"
	"github.com/tokendesk/tokendesk/internal/netguard"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/store"
)

// NewProviderClient is the client every provider call goes through, the
// console's and the renewal worker's: calls to URLs a person typed (marked
// with netguard.Guard by the OAuth 2.0 client), and to any host but the
// services' configured ones (the providers' declared base URLs:
// TOKENDESK_REDOX_URL, TOKENDESK_ZOOM_*, …), reach
// no loopback, private or link-local address unless
// TOKENDESK_ALLOW_PRIVATE_TARGETS or the Settings page allows it, checked
// on each call; no redirect is followed.
func NewProviderClient(cfg config.Config, st *store.Store) *http.Client {
	return netguard.NewProviderClient(provider.DefaultTimeout, func(ctx context.Context) bool {
		return cfg.AllowPrivateTargets || st.ProvidersAllowPrivate(ctx)
	}, slices.Sorted(maps.Values(cfg.ProviderURLs))...)
}

// ProviderEnv is where provider calls go: through client, to the
// configured base URLs.
func ProviderEnv(cfg config.Config, client *http.Client, now func() time.Time) provider.Env {
	return provider.Env{HTTP: client, URLs: cfg.ProviderURLs, Now: now}
}

// providerEnv is the console's ProviderEnv.
func (s *Server) providerEnv() provider.Env { return ProviderEnv(s.Config, s.HTTPClient, s.Now) }
