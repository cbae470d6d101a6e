package zoom

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/tokendesk/tokendesk/internal/provider"
)

// JWTLifetime is how long a token signed for one call lives.
const JWTLifetime = 60 * time.Second

// Client speaks Zoom's REST API (api.zoom.us) and its OAuth server (zoom.us),
// as docs/provider-apis.md (Zoom) documents them.
type Client struct {
	APIURL   string
	OAuthURL string
	HTTP     *http.Client
}

// User is who Zoom says the credentials belong to.
type User struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	AccountID string `json:"account_id"`
	Type      int    `json:"type"`
	Status    string `json:"status"`
}

// Describe names the user for a person.
func (u User) Describe() string {
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" {
		name = u.Email
	} else if u.Email != "" {
		name += " <" + u.Email + ">"
	}
	return fmt.Sprintf("%s in account %s", name, u.AccountID)
}

// AccountToken is a Server-to-Server OAuth access token.
type AccountToken struct {
	AccessToken string
	ExpiresAt   time.Time
	Scope       string
	// APIURL is where the token is used: Zoom's api_url (a regional
	// cluster), or the API URL this client reached when Zoom names none.
	APIURL string
}

// SignJWT mints the short-lived HS256 token a JWT app sends on every call:
// iss is the API Key, exp is in seconds, signed with the API Secret.
func SignJWT(apiKey, apiSecret string, now time.Time, lifetime time.Duration) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": apiKey,
		"exp": now.Add(lifetime).Unix(),
	})
	s, err := tok.SignedString([]byte(apiSecret))
	if err != nil {
		return "", fmt.Errorf("zoom: signing JWT: %w", err)
	}
	return s, nil
}

// Me asks Zoom who the bearer token belongs to (GET /v2/users/me).
func (c *Client) Me(ctx context.Context, bearer string, secrets ...string) (User, []provider.Step, error) {
	req, err := http.NewRequest(http.MethodGet, strings.TrimRight(c.APIURL, "/")+"/v2/users/me", nil)
	if err != nil {
		return User{}, nil, &provider.CallError{Service: "Zoom", Message: "The Zoom API URL is not valid: check TOKENDESK_ZOOM_API_URL."}
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Accept", "application/json")
	ex, err := provider.Do(ctx, c.HTTP, "Zoom", req)
	steps := []provider.Step{ex.Step}
	if err != nil {
		return User{}, steps, err
	}
	if te := provider.Throttle("Zoom", req.URL.Host, ex, time.Now()); te != nil {
		return User{}, steps, te
	}
	if ex.Status != http.StatusOK {
		var e struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		ce := &provider.CallError{Service: "Zoom", Host: req.URL.Host, Status: ex.Status, Message: provider.StatusProblem("Zoom", ex.Status)}
		if ex.Status < 500 && json.Unmarshal(ex.Body, &e) == nil && e.Message != "" {
			ce.Code = e.Code
			ce.Message = fmt.Sprintf("Zoom refused the request: code %d, “%s” (HTTP %d).", e.Code, provider.Redact(e.Message, append(secrets, bearer)...), ex.Status)
		}
		return User{}, steps, ce
	}
	fail := func(msg string) (User, []provider.Step, error) {
		return User{}, steps, &provider.CallError{Service: "Zoom", Host: req.URL.Host, Status: ex.Status, Message: msg}
	}
	var u User
	if err := json.Unmarshal(ex.Body, &u); err != nil || (u.ID == "" && u.Email == "") {
		return fail("Zoom answered HTTP 200, but not with the user it documents; the answer could not be read.")
	}
	return u, steps, nil
}

// RequestAccountToken gets a Server-to-Server OAuth token: POST
// {oauth}/oauth/token with Basic client credentials and the grant in the
// form body.
func (c *Client) RequestAccountToken(ctx context.Context, now time.Time, accountID, clientID, clientSecret string) (AccountToken, []provider.Step, error) {
	form := url.Values{"grant_type": {"account_credentials"}, "account_id": {accountID}}
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(c.OAuthURL, "/")+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return AccountToken{}, nil, &provider.CallError{Service: "Zoom", Message: "The Zoom OAuth URL is not valid: check TOKENDESK_ZOOM_OAUTH_URL."}
	}
	req.SetBasicAuth(clientID, clientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	ex, err := provider.Do(ctx, c.HTTP, "Zoom", req)
	steps := []provider.Step{ex.Step}
	if err != nil {
		return AccountToken{}, steps, err
	}
	fail := func(msg string) (AccountToken, []provider.Step, error) {
		return AccountToken{}, steps, &provider.CallError{Service: "Zoom", Host: req.URL.Host, Status: ex.Status, Message: msg}
	}
	if te := provider.Throttle("Zoom", req.URL.Host, ex, now); te != nil {
		return AccountToken{}, steps, te
	}
	if ex.Status != http.StatusOK {
		var e struct {
			Reason string `json:"reason"`
			Error  string `json:"error"`
		}
		// A 5xx is Zoom failing, whatever JSON it carries: name the status.
		if ex.Status >= 500 || json.Unmarshal(ex.Body, &e) != nil || (e.Reason == "" && e.Error == "") {
			return fail(provider.StatusProblem("Zoom", ex.Status))
		}
		if e.Reason == "" {
			return fail(fmt.Sprintf("Zoom refused the credentials (%s, HTTP %d).", provider.Redact(e.Error, clientSecret), ex.Status))
		}
		return fail(fmt.Sprintf("Zoom refused the credentials: “%s” (%s, HTTP %d).",
			provider.Redact(e.Reason, clientSecret), provider.Redact(e.Error, clientSecret), ex.Status))
	}
	var w struct {
		AccessToken string          `json:"access_token"`
		TokenType   string          `json:"token_type"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
		Scope       string          `json:"scope"`
		APIURL      string          `json:"api_url"`
	}
	if err := json.Unmarshal(ex.Body, &w); err != nil {
		return fail("Zoom answered HTTP 200, but not with the JSON token it documents; the answer could not be read.")
	}
	if w.AccessToken == "" || !strings.EqualFold(w.TokenType, "bearer") {
		return fail("Zoom answered HTTP 200 without a bearer access_token.")
	}
	secs, ok := seconds(w.ExpiresIn)
	if !ok {
		return fail("Zoom answered with an expires_in that is not a number of seconds.")
	}
	return AccountToken{AccessToken: w.AccessToken, ExpiresAt: now.Add(time.Duration(secs) * time.Second).UTC(), Scope: w.Scope,
		APIURL: apiURL(w.APIURL, c.APIURL)}, steps, nil
}

// apiURL is the api_url Zoom named, if it is a plain http(s) base URL, or
// else the API URL this client uses (the region's).
func apiURL(named, fallback string) string {
	u, err := url.Parse(named)
	if err != nil || len(named) > 2048 || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return strings.TrimRight(fallback, "/")
	}
	return strings.TrimRight(named, "/")
}

// seconds reads expires_in, which some servers send as a string.
func seconds(raw json.RawMessage) (int64, bool) {
	var n int64
	if json.Unmarshal(raw, &n) == nil && n > 0 {
		return n, true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if _, err := fmt.Sscan(s, &n); err == nil && n > 0 {
			return n, true
		}
	}
	return 0, false
}
