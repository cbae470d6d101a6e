package oauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tokendesk/tokendesk/internal/netguard"
	"github.com/tokendesk/tokendesk/internal/provider"
)

// KeyAccessLifetime is the generic form's "Access token lifetime (when the
// service does not say)".
const KeyAccessLifetime = "access_lifetime"

// DefaultAccessLifetime is assumed when neither the service nor the form
// says how long an access token lives: RFC 6749 makes expires_in only
// RECOMMENDED, and an unknown expiry must never count as "for ever".
const DefaultAccessLifetime = time.Hour

// lifetimes are the generic form's choices of KeyAccessLifetime.
var lifetimes = []struct {
	key   string
	label string
	d     time.Duration
}{
	{"5m", "5 minutes", 5 * time.Minute},
	{"15m", "15 minutes", 15 * time.Minute},
	{"30m", "30 minutes", 30 * time.Minute},
	{"1h", "1 hour", time.Hour},
	{"2h", "2 hours", 2 * time.Hour},
	{"8h", "8 hours", 8 * time.Hour},
	{"24h", "24 hours", 24 * time.Hour},
}

func lifetimeField() provider.Field {
	f := provider.Field{
		Key: KeyAccessLifetime, Label: "Access token lifetime (when the service does not say)", Control: provider.Select, Credential: true,
		DefaultWhenMissing: true,
		Default:            "1h",
		Help: "Specifies how long an access token lives when the service's answer does not say (it has no expires_in). " +
			"tokendesk renews the token before then, and never hands it out after.",
	}
	for _, l := range lifetimes {
		f.Options = append(f.Options, provider.Option{Value: l.key, Label: l.label})
	}
	return f
}

// lifetime is how long an access token whose answer gave no expiry is
// taken to live: the form's choice, else the preset's declaration, else
// DefaultAccessLifetime.
func (c client) lifetime(values map[string]string) time.Duration {
	for _, l := range lifetimes {
		if l.key == values[KeyAccessLifetime] {
			return l.d
		}
	}
	if c.preset.AccessLifetime > 0 {
		return c.preset.AccessLifetime
	}
	return DefaultAccessLifetime
}

// timed gives a grant whose answer said nothing of its expiry one: read by
// token introspection where the preset says so (Salesforce), else its
// declared lifetime. Nothing a new grant or a renewal stores lacks an
// expiry.
func (c client) timed(ctx context.Context, env provider.Env, values map[string]string, g provider.Grant) provider.Grant {
	if !g.ExpiresAt.IsZero() || g.AccessToken == "" {
		return g
	}
	at := now(env)
	if c.preset.Introspect != "" {
		if exp, ok := c.introspect(ctx, env, values, g); ok {
			g.ExpiresAt = exp.UTC()
			return g
		}
	}
	g.ExpiresAt = at.Add(c.lifetime(values)).UTC()
	return g
}

// introspect asks the service when the access token expires (RFC 7662;
// Salesforce: POST {instance_url}/services/oauth2/introspect with the
// client's credentials in the body). ok is false when it cannot tell.
func (c client) introspect(ctx context.Context, env provider.Env, values map[string]string, g provider.Grant) (time.Time, bool) {
	if values[KeyClientAuth] == AuthJWT || values[KeyClientSecret] == "" {
		return time.Time{}, false
	}
	target, ok := expand(c.preset.Introspect, values, g.Extra)
	if !ok || checkURL(target) != "" {
		return time.Time{}, false
	}
	form := url.Values{"token": {g.AccessToken}, "token_type_hint": {"access_token"},
		"client_id": {values[KeyClientID]}, "client_secret": {values[KeyClientSecret]}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return time.Time{}, false
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	// The introspection URL is built from the instance_url a service
	// handed back or one stored with the token: guarded as a typed URL.
	ex, err := provider.Do(netguard.Guard(ctx), env.HTTP, c.name(values), req)
	if err != nil || ex.Status != http.StatusOK {
		return time.Time{}, false
	}
	var answer struct {
		Active bool    `json:"active"`
		Exp    float64 `json:"exp"`
	}
	if json.Unmarshal(ex.Body, &answer) != nil || !answer.Active || answer.Exp <= 0 || answer.Exp > 1e11 {
		return time.Time{}, false
	}
	exp := time.Unix(int64(answer.Exp), 0)
	if !exp.After(now(env)) {
		return time.Time{}, false
	}
	return exp, true
}

// expand fills every {key} of a row's URL with what the token answer gave
// (extra) or what is stored with the token, its own fields included
// (values): {instance_url}, {api_url}, {subdomain}, {realm_id}; ok is
// false when one is missing.
func expand(template string, values, extra map[string]string) (string, bool) {
	return expandWith(template, values, extra, nil)
}

// expandWith is expand where the keys mayBeEmpty names are filled even
// when empty (Intercom's US region is no part of the host at all).
func expandWith(template string, values, extra map[string]string, mayBeEmpty map[string]map[string]string) (string, bool) {
	ok := true
	out := placeholder.ReplaceAllStringFunc(template, func(m string) string {
		k := m[1 : len(m)-1]
		v := extra[k]
		if v == "" {
			v = values[k]
		}
		if _, empty := mayBeEmpty[k]; empty && v == "" {
			return ""
		}
		if v == "" {
			ok = false
			return m
		}
		return strings.TrimRight(v, "/")
	})
	if !ok {
		return "", false
	}
	return out, true
}

// missingKey names the first {key} of template expand could not fill.
func missingKey(template string, values, extra map[string]string) string {
	for _, m := range placeholder.FindAllStringSubmatch(template, -1) {
		if extra[m[1]] == "" && values[m[1]] == "" {
			return m[1]
		}
	}
	return "value"
}
