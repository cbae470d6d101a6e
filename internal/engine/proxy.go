package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tokendesk/tokendesk/internal/index"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/store"
)

// ProxyPrefix starts the read audit outcomes of calls through the proxy:
// proxy_GET_2xx for a call the service answered, proxy_{code} for one
// tokendesk refused.
const ProxyPrefix = "proxy_"

// ProxyCall is one call an app makes through the proxy
// (/api/v1/proxy/{name}/…): the service's API base URL, the access token
// and how the service wants it presented. The credential never leaves
// tokendesk: the web layer puts it on the outgoing request only.
type ProxyCall struct {
	// Base is the token's API base URL: the call goes to its origin, under
	// its path.
	Base *url.URL
	// Header is the header the bare access token goes in; "" is
	// Authorization: Bearer.
	Header string
	// Access is the access token.
	Access string
	// Name is the token's name.
	Name string
	// Renewed says the access token was renewed after the service refused
	// the one before.
	Renewed bool

	req    Request
	client *store.Client
	token  *index.Token
	p      provider.Provider
	urls   map[string]string
}

// Proxy authenticates a call through the proxy exactly as a fetch of the
// same token (key, rate limit, Permission Settings, every refusal a fetch
// would get), and says where it goes and with what credential.
func (e *Engine) Proxy(ctx context.Context, r Request) (*ProxyCall, error) {
	now := e.Now()
	cl, err := e.client(ctx, r, now)
	if err != nil {
		return nil, err
	}
	t, err := e.Index.Resolve(ctx, cl.AppID, r.Name)
	if errors.Is(err, store.ErrNotFound) {
		e.api.record(cl, 0, ProxyPrefix+"not_found", now)
		e.refuse(r, cl, store.RefusedNotFound, "", now)
		return nil, notAvailable(r.Name)
	}
	if err != nil {
		return nil, err
	}
	p, ok := registry.ByID(t.Provider)
	if !ok {
		return nil, e.refuseToken(r, cl, t.ID, ProxyPrefix, notAvailable(r.Name), now)
	}
	body, err := e.answer(ctx, cl, t, now)
	if err != nil {
		return nil, e.refuseToken(r, cl, t.ID, ProxyPrefix, err, now)
	}
	call := &ProxyCall{Name: t.Name, req: r, client: cl, token: t, p: p, urls: e.ProviderURLs}
	if cached := t.Answer(); len(cached) > 0 && len(body) == len(cached) && &body[0] == &cached[0] {
		// The usual call: the answer kept with the token was made of its
		// values, which say all without decoding the JSON again.
		err = call.fromValues(t.Values[p.Tokens.Access], t.Values)
	} else {
		err = call.from(body)
	}
	if err != nil {
		return nil, e.refuseToken(r, cl, t.ID, ProxyPrefix, err, now)
	}
	return call, nil
}

// RenewRejected renews the call's token after the service answered 401 to
// its access token: the refresh call's single flight, limits and
// refusals (a revoked grant is a 409 the app is given). The call then
// carries the new access token.
func (e *Engine) RenewRejected(ctx context.Context, call *ProxyCall) error {
	now := e.Now()
	body, err := e.refreshed(ctx, call.client, call.token, call.Access, now)
	if err != nil {
		return e.refuseToken(call.req, call.client, call.token.ID, ProxyPrefix+RefreshRefusedPrefix, err, now)
	}
	e.api.record(call.client, call.token.ID, ProxyPrefix+ReadRefreshed, now)
	if err := call.from(body); err != nil {
		return err
	}
	call.Renewed = true
	return nil
}

// ProxyDone counts a call the service answered with status in the read
// audit: client, token, method and status class, per minute.
func (e *Engine) ProxyDone(call *ProxyCall, method string, status int) {
	e.api.record(call.client, call.token.ID, ProxyOutcome(method, status), e.Now())
}

// ProxyOutcome is the read audit outcome of a proxied call: proxy_GET_2xx.
// Methods other than the usual ones are counted as OTHER (an app must
// not fill the audit with names of its choosing).
func ProxyOutcome(method string, status int) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		method = "OTHER"
	}
	class := "5xx"
	if status >= 100 && status < 600 {
		class = string(rune('0'+status/100)) + "xx"
	}
	return ProxyPrefix + method + "_" + class
}

// from fills the call from a fetch's answer: the access token, and the
// API base URL from the token's values and the answer's (Salesforce's
// instance_url, Zoom's api_url, Pipedrive's api_domain).
func (c *ProxyCall) from(body []byte) error {
	var ans map[string]any
	if err := json.Unmarshal(body, &ans); err != nil {
		return err
	}
	access, _ := ans["access_token"].(string)
	values := make(map[string]string, len(c.token.Values)+len(ans))
	for k, v := range c.token.Values {
		values[k] = v
	}
	for k, v := range ans {
		if s, ok := v.(string); ok && s != "" && k != "access_token" {
			values[k] = s
		}
	}
	return c.fromValues(access, values)
}

// fromValues fills the call from the access token and the values its API
// base URL is made of (never changed here).
func (c *ProxyCall) fromValues(access string, values map[string]string) error {
	if c.p.API == nil || c.p.API.Base == nil {
		return &Refusal{Status: http.StatusConflict, Code: "no_api", Message: fmt.Sprintf(
			"“%s” cannot be used through the proxy: tokendesk knows no API address for %s. Fetch the token with GET /api/v1/tokens/{name} instead.", c.token.Name, c.p.Name)}
	}
	raw, ok := c.p.API.Base(provider.Env{URLs: c.urls}, values)
	base, err := url.Parse(strings.TrimSpace(raw))
	if !ok || err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" || base.User != nil {
		return &Refusal{Status: http.StatusConflict, Code: "no_api", Message: fmt.Sprintf(
			"“%s” cannot be used through the proxy: it has no complete API Base URL. Set one on its page in tokendesk (%s).", c.token.Name, tokenPagePath(c.token.Token))}
	}
	base.RawQuery, base.Fragment, base.RawFragment = "", "", ""
	base.Path = strings.TrimRight(base.Path, "/")
	base.RawPath = strings.TrimRight(base.RawPath, "/")
	c.Base, c.Header, c.Access = base, c.p.API.Header, access
	return nil
}

// proxyOnly is the refusal of a fetch of a token set "Only through the
// proxy": its credential never leaves tokendesk.
func proxyOnly(name string) error {
	return &Refusal{Status: http.StatusForbidden, Code: "proxy_only", Message: fmt.Sprintf(
		"“%s” is used only through the proxy: call the service at /api/v1/proxy/%s/{path} with this key; tokendesk adds the access token.",
		TruncateRunes(name, 100), url.PathEscape(TruncateRunes(name, 100)))}
}
