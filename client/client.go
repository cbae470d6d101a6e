// Package client is the Go client of tokendesk's runtime API, for apps
// that use the access tokens tokendesk keeps.
//
// An app asks for a token by name with its API client key:
//
//	td, err := client.New("https://tokendesk.example.com", os.Getenv("TOKENDESK_KEY"))
//	tok, err := td.Token(ctx, "Lab Feed")
//	// tok.AccessToken goes in the service's Authorization header (as
//	// "Bearer …"), or where the service says (Shopify: X-Shopify-Access-Token;
//	// the runtime API does not say which).
//
// Token keeps each answer until shortly before it expires, and asks
// tokendesk once however many goroutines want the same name at once. When
// the service refuses a token (its 401), Refresh reports it and returns a
// working one. Transport does all of it for an *http.Client: it adds the
// token to each request (Authorization: Bearer, or the header named in its
// Header field) and, on a 401, reports the token and retries once.
//
// Errors from tokendesk are *Error values carrying the API's error code
// ("not_found", "needs_reconnect", …); no error message carries a token
// or a key.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Defaults of a Client's options.
const (
	// DefaultExpiryMargin is how long before its expires_at a cached token
	// is fetched again: long enough that a request sent with it reaches
	// the service before it runs out.
	DefaultExpiryMargin = 30 * time.Second
	// DefaultTimeout bounds one call to tokendesk (a fetch may wait for a
	// renewal at the service).
	DefaultTimeout = 30 * time.Second
	// unknownExpiryTTL is how long a token is kept when tokendesk did not
	// say when it expires (it always does today).
	unknownExpiryTTL = time.Minute
	// maxAnswer bounds what is read of one answer.
	maxAnswer = 1 << 20
)

// Client fetches tokens from one tokendesk with one API client key. It is
// safe for concurrent use; make one per key and share it.
type Client struct {
	base    string // scheme://host[/prefix], without a trailing slash
	key     string
	http    *http.Client
	now     func() time.Time
	margin  time.Duration
	timeout time.Duration

	mu     sync.Mutex
	cache  map[string]*Token
	flight singleflight.Group
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the Client call tokendesk with hc (its transport,
// proxy and TLS settings) instead of http.DefaultClient.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// WithClock replaces time.Now, for tests of code that uses the Client.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// WithExpiryMargin sets how long before its expiry a cached token is
// fetched again (DefaultExpiryMargin). Zero keeps it until it expires.
func WithExpiryMargin(d time.Duration) Option { return func(c *Client) { c.margin = d } }

// WithTimeout bounds each call to tokendesk (DefaultTimeout).
// Zero or less keeps the default.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// New returns a Client of the tokendesk at baseURL (the console's address,
// such as "https://tokendesk.example.com"; a path prefix is kept) using
// the API client key key.
func New(baseURL, key string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("tokendesk: the base URL %q is not an http:// or https:// address such as https://tokendesk.example.com", baseURL)
	}
	if strings.TrimSpace(key) == "" {
		return nil, errors.New("tokendesk: no API client key (create one under API Clients in the console)")
	}
	c := &Client{
		base:    strings.TrimRight(u.String(), "/"),
		key:     key,
		http:    http.DefaultClient,
		now:     time.Now,
		margin:  DefaultExpiryMargin,
		timeout: DefaultTimeout,
		cache:   map[string]*Token{},
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Token is a token as the runtime API hands it out. Its String, GoString
// and LogValue leave the access token out, so logging one leaks nothing.
type Token struct {
	Name        string
	Provider    string
	Scope       string // "global" or "app"
	AccessToken string
	TokenType   string
	// ExpiresAt is when the access token runs out (zero if not said).
	ExpiresAt time.Time
	// Extra holds what the service hands out with the token, by field:
	// api_url (Zoom), instance_url (Salesforce), source_id (Redox), ….
	Extra map[string]string

	// fresh is until when the Client serves this token from its cache.
	fresh time.Time
}

// String names the token without its access token (value receiver: a
// Token printed by value with %v or %+v is covered too).
func (t Token) String() string {
	return fmt.Sprintf("tokendesk token %q (%s, expires %s)", t.Name, t.Provider, t.ExpiresAt.Format(time.RFC3339))
}

// GoString keeps %#v from printing the access token.
func (t Token) GoString() string { return t.String() }

// LogValue keeps log/slog from printing the access token.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", t.Name), slog.String("provider", t.Provider),
		slog.String("scope", t.Scope), slog.Time("expires_at", t.ExpiresAt))
}

// answer is the JSON of a token; the fields it does not name go to Extra.
type answer struct {
	Name        string  `json:"name"`
	Provider    string  `json:"provider"`
	Scope       string  `json:"scope"`
	AccessToken string  `json:"access_token"`
	TokenType   string  `json:"token_type"`
	ExpiresAt   *string `json:"expires_at"`
}

// Token returns the current token called name, from the cache while it
// stays valid for longer than the expiry margin. Concurrent calls for one
// name make one request; a caller whose ctx ends stops waiting for it
// without cancelling it for the others.
func (c *Client) Token(ctx context.Context, name string) (*Token, error) {
	if t := c.cached(name); t != nil {
		return t, nil
	}
	return c.shared(ctx, "token\x00"+name, func(fctx context.Context) (*Token, error) {
		if t := c.cached(name); t != nil { // filled while this call waited its turn
			return t, nil
		}
		t, err := c.call(fctx, http.MethodGet, c.tokenURL(name), nil, name)
		if err != nil {
			return nil, err
		}
		c.store(name, t)
		return t, nil
	})
}

// Refresh reports that the service refused rejected, the access token
// tokendesk handed out for name, and returns a working token: a renewed
// one, or the current one when it was replaced already. tokendesk never
// hands out a reported token again. Concurrent reports of one token make
// one request.
func (c *Client) Refresh(ctx context.Context, name, rejected string) (*Token, error) {
	body, err := json.Marshal(map[string]string{"rejected_token": rejected})
	if err != nil {
		return nil, err
	}
	c.forget(name, rejected)
	return c.shared(ctx, "refresh\x00"+name+"\x00"+rejected, func(fctx context.Context) (*Token, error) {
		t, err := c.call(fctx, http.MethodPost, c.tokenURL(name)+"/refresh", body, name)
		if err != nil {
			return nil, err
		}
		c.store(name, t)
		return t, nil
	})
}

// shared runs fetch once for all concurrent callers with the same key, on
// a context of its own (the first caller's values, not its cancellation).
func (c *Client) shared(ctx context.Context, key string, fetch func(context.Context) (*Token, error)) (*Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("tokendesk: %q: %w", ctxName(key), err)
	}
	ch := c.flight.DoChan(key, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
		defer cancel()
		return fetch(fctx)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*Token), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("tokendesk: %q: %w", ctxName(key), ctx.Err())
	}
}

func ctxName(key string) string {
	_, rest, _ := strings.Cut(key, "\x00")
	name, _, _ := strings.Cut(rest, "\x00")
	return name
}

// tokenURL is the runtime API's address of name; the name is one path
// segment whatever it holds ("Lab Feed" → Lab%20Feed).
func (c *Client) tokenURL(name string) string {
	return c.base + "/api/v1/tokens/" + url.PathEscape(name)
}

func (c *Client) cached(name string) *Token {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.cache[name]; t != nil && c.now().Before(t.fresh) {
		return t
	}
	return nil
}

func (c *Client) store(name string, t *Token) {
	switch {
	case t.ExpiresAt.IsZero():
		t.fresh = c.now().Add(unknownExpiryTTL)
	default:
		t.fresh = t.ExpiresAt.Add(-c.margin)
	}
	c.mu.Lock()
	c.cache[name] = t
	c.mu.Unlock()
}

// forget drops name's cached token if it is the refused one.
func (c *Client) forget(name, rejected string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.cache[name]; t != nil && t.AccessToken == rejected {
		delete(c.cache, name)
	}
}

// call sends one request to the runtime API and reads a token or an *Error.
func (c *Client) call(ctx context.Context, method, u string, body []byte, name string) (*Token, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("tokendesk: %q: %w", name, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error names the URL: the token's name, never the key.
		return nil, fmt.Errorf("tokendesk: %q: %w", name, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("tokendesk: %q: reading the answer: %w", name, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, newError(resp, raw, name)
	}
	var a answer
	var all map[string]any
	if json.Unmarshal(raw, &a) != nil || json.Unmarshal(raw, &all) != nil || a.AccessToken == "" {
		// Never quote the body: it may hold a token.
		return nil, fmt.Errorf("tokendesk: %q: the answer (HTTP 200, %s) is not a token; is %s a tokendesk?", name, resp.Header.Get("Content-Type"), c.base)
	}
	t := &Token{Name: a.Name, Provider: a.Provider, Scope: a.Scope, AccessToken: a.AccessToken, TokenType: a.TokenType}
	if a.ExpiresAt != nil && *a.ExpiresAt != "" {
		if t.ExpiresAt, err = time.Parse(time.RFC3339, *a.ExpiresAt); err != nil {
			return nil, fmt.Errorf("tokendesk: %q: expires_at %q is not an RFC 3339 time", name, *a.ExpiresAt)
		}
	}
	for k, v := range all {
		switch k {
		case "name", "provider", "scope", "access_token", "token_type", "expires_at":
			continue
		}
		if s, ok := v.(string); ok {
			if t.Extra == nil {
				t.Extra = map[string]string{}
			}
			t.Extra[k] = s
		}
	}
	return t, nil
}

// Error is a refusal of tokendesk's runtime API, with its JSON error code.
// Check one with errors.As:
//
//	var e *client.Error
//	if errors.As(err, &e) && e.Code == "needs_reconnect" { … }
type Error struct {
	// Name is the token asked for.
	Name string
	// Status is the HTTP status (401, 403, 404, 409, 410, 429, 503, …).
	Status int
	// Code is the API's error code: "unauthorized", "not_found",
	// "needs_reconnect", "not_connected", "renewals_disabled", "retired",
	// "rate_limited", "renewal_failed", "refresh_too_soon", "busy", … (all
	// in /api/v1/openapi.json); "http_<status>" when the answer was not
	// tokendesk's JSON (a proxy's error page).
	Code string
	// Message says what happened and what to do, as tokendesk wrote it.
	Message string
	// RetryAfter is the wait tokendesk asked for (429, 503), or zero.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	s := fmt.Sprintf("tokendesk: %q: %d %s", e.Name, e.Status, e.Code)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

func newError(resp *http.Response, raw []byte, name string) *Error {
	e := &Error{Name: name, Status: resp.StatusCode}
	var body struct {
		Error struct{ Code, Message string }
	}
	if json.Unmarshal(raw, &body) == nil && body.Error.Code != "" {
		e.Code, e.Message = body.Error.Code, body.Error.Message
	} else {
		e.Code = "http_" + strconv.Itoa(resp.StatusCode)
		e.Message = "the answer is not tokendesk's JSON (" + resp.Header.Get("Content-Type") + "); check the base URL"
	}
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
		e.RetryAfter = time.Duration(secs) * time.Second
	}
	return e
}
