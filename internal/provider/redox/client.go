package redox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// Client speaks Redox's legacy API-key authentication
// (docs/provider-apis.md, Redox API key).
type Client struct {
	BaseURL string // https://api.redoxengine.com
	HTTP    *http.Client
}

// Token is what /auth/authenticate and /auth/refreshToken answer.
type Token struct {
	AccessToken  string
	RefreshToken string
	Expires      time.Time
}

// wire is the documented answer, camelCase as Redox sends it.
type wire struct {
	AccessToken  string `json:"accessToken"`
	Expires      string `json:"expires"`
	RefreshToken string `json:"refreshToken"`
}

// Authenticate exchanges an API key and secret for an access token.
func (c *Client) Authenticate(ctx context.Context, apiKey, secret string) (Token, []provider.Step, error) {
	body, _ := json.Marshal(map[string]string{"apiKey": apiKey, "secret": secret})
	return c.call(ctx, "/auth/authenticate", body, func(status int) string {
		if status == http.StatusUnauthorized || status == http.StatusForbidden {
			return fmt.Sprintf("Redox rejected the API Key and Secret (HTTP %d). Check both values in the Redox dashboard.", status)
		}
		return ""
	}, apiKey, secret)
}

// Refresh exchanges a refresh token for a new access token.
func (c *Client) Refresh(ctx context.Context, apiKey, refreshToken string) (Token, []provider.Step, error) {
	body, _ := json.Marshal(map[string]string{"apiKey": apiKey, "refreshToken": refreshToken})
	return c.call(ctx, "/auth/refreshToken", body, func(status int) string {
		if status == http.StatusUnauthorized || status == http.StatusForbidden {
			return fmt.Sprintf("Redox refused the refresh token (HTTP %d).", status)
		}
		return ""
	}, apiKey, refreshToken)
}

func (c *Client) call(ctx context.Context, path string, body []byte, rejected func(int) string, secrets ...string) (Token, []provider.Step, error) {
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(c.BaseURL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return Token{}, nil, &provider.CallError{Service: "Redox", Message: "The Redox URL is not valid: check TOKENDESK_REDOX_URL."}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	ex, err := provider.Do(ctx, c.HTTP, "Redox", req)
	steps := []provider.Step{ex.Step}
	if err != nil {
		return Token{}, steps, err
	}
	fail := func(msg string) (Token, []provider.Step, error) {
		return Token{}, steps, &provider.CallError{Service: "Redox", Host: req.URL.Host, Status: ex.Status, Message: msg}
	}
	if te := provider.Throttle("Redox", req.URL.Host, ex, time.Now()); te != nil {
		return Token{}, steps, te
	}
	if ex.Status != http.StatusOK {
		if msg := rejected(ex.Status); msg != "" {
			return fail(msg)
		}
		return fail(provider.StatusProblem("Redox", ex.Status))
	}
	var w wire
	if err := json.Unmarshal(ex.Body, &w); err != nil {
		return fail("Redox answered HTTP 200, but not with the JSON token it documents; the answer could not be read.")
	}
	if w.AccessToken == "" {
		return fail("Redox answered HTTP 200 without an accessToken.")
	}
	exp, err := time.Parse(time.RFC3339, w.Expires)
	if err != nil {
		return fail(fmt.Sprintf("Redox answered with an expiry that is not an ISO-8601 time (%q).", provider.Redact(w.Expires, secrets...)))
	}
	return Token{AccessToken: w.AccessToken, RefreshToken: w.RefreshToken, Expires: exp.UTC()}, steps, nil
}

// apiURL is the configured Redox API, or the real one.
func apiURL(env provider.Env) string {
	if u := env.URL(API.Name); u != "" {
		return u
	}
	return API.Default
}

// getToken is the Get OAuth 2.0 Access Token button.
func getToken(ctx context.Context, env provider.Env, values map[string]string) provider.Result {
	c := &Client{BaseURL: apiURL(env), HTTP: env.HTTP}
	tok, steps, err := c.Authenticate(ctx, values[KeyAPIKey], values[KeySecret])
	res := provider.Result{Steps: steps}
	if err != nil {
		res.Summary = err.Error() // Redox's own words in it are redacted where quoted
		return res
	}
	res.OK = true
	res.Steps = append(res.Steps,
		provider.Step{Text: "Authentication succeeded: Redox accepted the API Key and Secret", OK: true},
		provider.Step{Text: "Received an access token and a refresh token, valid until " + tok.Expires.Format("2006-01-02 15:04 UTC"), OK: true},
	)
	res.Summary = "Obtained an OAuth 2.0 access token from Redox, valid until " + tok.Expires.Format("2006-01-02 15:04 UTC") + ". Press Save to keep it."
	res.Grant = &provider.Grant{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, ExpiresAt: tok.Expires}
	return res
}

// renew refreshes with the refresh token; if Redox refuses it in any way
// (or there is none), it authenticates again with the API Key and Secret in
// the same renewal. A network failure, a 5xx or throttling is no refusal:
// logging in again would fail the same way, or make the throttling worse.
func renew(ctx context.Context, env provider.Env, values map[string]string) (provider.Grant, error) {
	c := &Client{BaseURL: apiURL(env), HTTP: env.HTTP}
	if rt := values[KeyRefresh]; rt != "" {
		tok, _, err := c.Refresh(ctx, values[KeyAPIKey], rt)
		if err == nil {
			return provider.Grant{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, ExpiresAt: tok.Expires}, nil
		}
		var ce *provider.CallError
		if !errors.As(err, &ce) || !ce.Refused() {
			return provider.Grant{}, err
		}
	}
	tok, _, err := c.Authenticate(ctx, values[KeyAPIKey], values[KeySecret])
	if err != nil {
		return provider.Grant{}, err
	}
	return provider.Grant{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, ExpiresAt: tok.Expires}, nil
}
