package redoxoauth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/redox"
)

// Regional base URLs (docs/provider-apis.md, Redox OAuth 2.0).
const (
	BaseUS     = "https://api.redoxengine.com"
	BaseCanada = "https://api.ca.redoxengine.com"
)

// AssertionLifetime is how long a signed assertion is valid (Redox allows
// up to 5 minutes).
const AssertionLifetime = 4 * time.Minute

// baseURL is the region's API, unless TOKENDESK_REDOX_URL points the whole
// process elsewhere (an emulator, a test).
func baseURL(env provider.Env, values map[string]string) string {
	if u := env.URL(redox.API.Name); u != "" && u != BaseUS {
		return u
	}
	if values[KeyRegion] == RegionCanada {
		return BaseCanada
	}
	return BaseUS
}

// TokenURL is the region's token endpoint, which is also the assertion's aud.
func TokenURL(base string) string { return base + "/v2/auth/token" }

// Sign makes the client assertion §1b describes: iss = sub = Client ID,
// aud = the token URL, iat, exp ≤ 5 minutes, a unique jti, kid and typ JWT.
func Sign(values map[string]string, aud string, now time.Time) (string, error) {
	claims := jwt.MapClaims{
		"iss": values[KeyClientID], "sub": values[KeyClientID], "aud": aud,
		"iat": now.Unix(), "exp": now.Add(AssertionLifetime).Unix(), "jti": jti(),
	}
	var tok *jwt.Token
	var key any
	switch methodOf(values) {
	case HS384:
		if values[KeySharedSecret] == "" {
			return "", errUser("HS384 signs with the Shared Secret: enter the secret registered in the Redox dashboard.")
		}
		tok, key = jwt.NewWithClaims(jwt.SigningMethodHS384, claims), []byte(values[KeySharedSecret])
	default:
		k, err := parsePrivateKey(values[KeyPrivateKey])
		if err != nil {
			return "", errUser("This token has no key pair yet: press Save, register the public key (or the JWKS URL) shown on its page in the Redox dashboard, then try again.")
		}
		method := jwt.SigningMethod(jwt.SigningMethodRS384)
		if keyMethod(k) == ES384 {
			method = jwt.SigningMethodES384
		}
		if keyMethod(k) != methodOf(values) {
			return "", errUser("The Signing Method was changed: press Save to generate its key pair, register it in the Redox dashboard, then try again.")
		}
		tok, key = jwt.NewWithClaims(method, claims), k
	}
	tok.Header["kid"] = values[KeyKeyID]
	s, err := tok.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("redoxoauth: signing: %w", err)
	}
	return s, nil
}

func jti() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

type errUser string

func (e errUser) Error() string { return string(e) }

// Grant is what /v2/auth/token gives.
type Grant struct {
	AccessToken string
	ExpiresAt   time.Time
}

// RequestToken signs an assertion and exchanges it for an access token.
func RequestToken(ctx context.Context, env provider.Env, values map[string]string) (Grant, []provider.Step, error) {
	now := time.Now()
	if env.Now != nil {
		now = env.Now()
	}
	base := baseURL(env, values)
	assertion, err := Sign(values, TokenURL(base), now)
	if err != nil {
		return Grant{}, nil, err
	}
	steps := []provider.Step{{Text: "Signed a JWT assertion (" + strings.ToUpper(methodOf(values)) + ", kid " + provider.Redact(values[KeyKeyID]) + ") for client " + provider.Redact(values[KeyClientID]), OK: true}}
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
	}
	req, err := http.NewRequest(http.MethodPost, TokenURL(base), strings.NewReader(form.Encode()))
	if err != nil {
		return Grant{}, steps, &provider.CallError{Service: "Redox", Message: "The Redox URL is not valid: check TOKENDESK_REDOX_URL."}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	ex, err := provider.Do(ctx, env.HTTP, "Redox", req)
	steps = append(steps, ex.Step)
	if err != nil {
		return Grant{}, steps, err
	}
	fail := func(msg string) (Grant, []provider.Step, error) {
		return Grant{}, steps, &provider.CallError{Service: "Redox", Host: req.URL.Host, Status: ex.Status, Message: msg}
	}
	if te := provider.Throttle("Redox", req.URL.Host, ex, now); te != nil {
		return Grant{}, steps, te
	}
	secrets := []string{values[KeySharedSecret], assertion}
	if ex.Status != http.StatusOK {
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if ex.Status >= 500 || json.Unmarshal(ex.Body, &e) != nil || e.Error == "" {
			return fail(provider.StatusProblem("Redox", ex.Status))
		}
		if e.Description == "" {
			return fail(fmt.Sprintf("Redox refused the signed assertion without saying why (%s, HTTP %d). Redox leaves the reason empty when a claim is wrong: "+
				"check that the Region is where your Redox organization lives, that the Client ID and Key ID match the key registered in the Redox dashboard, "+
				"and that this server's clock is right.", provider.Redact(e.Error, secrets...), ex.Status))
		}
		return fail(fmt.Sprintf("Redox refused the request: “%s” (%s, HTTP %d).", provider.Redact(e.Description, secrets...), provider.Redact(e.Error, secrets...), ex.Status))
	}
	var w struct {
		AccessToken string          `json:"access_token"`
		TokenType   string          `json:"token_type"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(ex.Body, &w); err != nil {
		return fail("Redox answered HTTP 200, but not with the JSON token it documents; the answer could not be read.")
	}
	if w.AccessToken == "" || !strings.EqualFold(w.TokenType, "bearer") {
		return fail("Redox answered HTTP 200 without a bearer access_token.")
	}
	secs := int64(300)
	var n json.Number
	if json.Unmarshal(w.ExpiresIn, &n) == nil {
		if v, err := n.Int64(); err == nil && v > 0 {
			secs = v
		}
	} else {
		var s string
		if json.Unmarshal(w.ExpiresIn, &s) == nil {
			fmt.Sscan(s, &secs)
		}
	}
	return Grant{AccessToken: w.AccessToken, ExpiresAt: now.Add(time.Duration(secs) * time.Second).UTC()}, steps, nil
}

// getToken is the Get OAuth 2.0 Access Token button.
func getToken(ctx context.Context, env provider.Env, values map[string]string) provider.Result {
	g, steps, err := RequestToken(ctx, env, values)
	res := provider.Result{Steps: steps}
	if err != nil {
		res.Summary = err.Error()
		return res
	}
	until := g.ExpiresAt.Format("2006-01-02 15:04:05 UTC")
	res.OK = true
	res.Steps = append(res.Steps,
		provider.Step{Text: "Authentication succeeded: Redox accepted the signed assertion", OK: true},
		provider.Step{Text: "Received an access token valid until " + until + " (no refresh token: tokendesk signs a new assertion each time)", OK: true})
	res.Summary = "Obtained an OAuth 2.0 access token from Redox, valid until " + until + ". Press Save to keep it."
	res.Grant = &provider.Grant{AccessToken: g.AccessToken, ExpiresAt: g.ExpiresAt}
	return res
}

// renew signs a new assertion: these tokens have no refresh token.
func renew(ctx context.Context, env provider.Env, values map[string]string) (provider.Grant, error) {
	g, _, err := RequestToken(ctx, env, values)
	if err != nil {
		return provider.Grant{}, err
	}
	return provider.Grant{AccessToken: g.AccessToken, ExpiresAt: g.ExpiresAt}, nil
}
