package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/tokendesk/tokendesk/internal/netguard"
	"github.com/tokendesk/tokendesk/internal/provider"
	"golang.org/x/oauth2"
)

// This file is what the catalogue's rows ask of the client beyond RFC
// 6749: another scope separator, a JSON token request, values besides the
// token, a token presented in the service's own header, and tokens that
// do not expire.

// commaScopes reports whether the Scope is sent joined by the row's own
// separator rather than x/oauth2's spaces.
func (c client) ownSeparator() bool {
	sep := c.preset.ScopeSeparator
	return sep != "" && sep != " "
}

// scopes are the scopes x/oauth2 joins with spaces; none when the row
// joins them itself (joinedScope).
func (c client) scopes(values map[string]string) []string {
	if c.ownSeparator() {
		return nil
	}
	return strings.Fields(values[KeyScope])
}

// joinedScope is the scope parameter of a row with its own separator
// (Slack's "chat:write,channels:read"); "" otherwise.
func (c client) joinedScope(values map[string]string) string {
	if !c.ownSeparator() {
		return ""
	}
	return strings.Join(strings.Fields(values[KeyScope]), c.preset.ScopeSeparator)
}

// withJSONBody sends the token requests x/oauth2 form-encodes as a JSON
// object (Notion's token endpoint takes JSON).
func withJSONBody(hc *http.Client) *http.Client {
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	wrapped := *hc
	wrapped.Transport = jsonBodyTransport{base: base}
	return &wrapped
}

type jsonBodyTransport struct{ base http.RoundTripper }

func (t jsonBodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || req.Body == nil || !strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return t.base.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	obj := map[string]string{}
	for k := range form {
		obj[k] = form.Get(k)
	}
	enc, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Content-Type", "application/json")
	r.Body = io.NopCloser(bytes.NewReader(enc))
	r.ContentLength = int64(len(enc))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(enc)), nil }
	return t.base.RoundTrip(r)
}

// fromAnswer keeps the row's values the token answer carries (Slack's
// team.id): the first step of the path is the answer's field.
func (c client) fromAnswer(tok *oauth2.Token, g *provider.Grant) {
	for _, v := range c.preset.Values {
		if v.From != FromAnswer {
			continue
		}
		root, rest, nested := strings.Cut(v.Path, ".")
		raw := tok.Extra(root)
		got := ""
		if nested {
			got = dig(raw, rest)
		} else {
			got = dig(raw, "")
		}
		if got != "" {
			setExtra(g, v.Key, got)
		}
	}
}

func setExtra(g *provider.Grant, k, v string) {
	if g.Extra == nil {
		g.Extra = map[string]string{}
	}
	g.Extra[k] = v
}

// connected completes a new grant with the values the callback brought
// (QuickBooks' realmId) and those one request with the new token reads
// (Atlassian's cloud id, Xero's tenant, DocuSign's base_uri, Mailchimp's
// data centre). A lookup that fails fails the connection: without its
// value the token cannot be used.
func (c client) connected(ctx context.Context, env provider.Env, values map[string]string, g *provider.Grant) error {
	read := map[string]any{}
	for _, v := range c.preset.Values {
		switch v.From {
		case FromCallback:
			if got := values[provider.CallbackKey(v.Path)]; got != "" {
				setExtra(g, v.Key, got)
				continue
			}
			return fmt.Errorf("%s sent you back without %s, which %s needs: press Get OAuth 2.0 Access Token to try again.", c.name(values), v.Path, c.name(values))
		case FromLookup:
			answer, ok := read[v.Lookup]
			if !ok {
				var err error
				if answer, err = c.lookup(ctx, env, values, g, v.Lookup); err != nil {
					return err
				}
				read[v.Lookup] = answer
			}
			got := dig(answer, v.Path)
			if got == "" {
				return fmt.Errorf("%s connected, but its answer to %s has no %s (%s): check that the account has access to at least one site or organisation, and try again.",
					c.name(values), hostPath(v.Lookup), v.Key, v.Path)
			}
			setExtra(g, v.Key, got)
		}
	}
	return nil
}

func hostPath(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Host + p.Path
	}
	return u
}

// lookup reads a URL with the new token and decodes its JSON answer.
func (c client) lookup(ctx context.Context, env provider.Env, values map[string]string, g *provider.Grant, template string) (any, error) {
	svc := c.name(values)
	target, ok := expandWith(template, c.preset.substituted(values), g.Extra, c.preset.Subst)
	target = c.demo(target)
	if !ok || checkURL(target) != "" {
		return nil, fmt.Errorf("%s connected, but the address to read the token's details from is incomplete.", svc)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("%s connected, but the address to read the token's details from is not valid.", svc)
	}
	c.present(req, g.AccessToken)
	req.Header.Set("Accept", "application/json")
	ex, err := provider.Do(netguard.Guard(ctx), env.HTTP, svc, req)
	if err != nil {
		return nil, err
	}
	if ce := provider.Throttle(svc, req.URL.Host, ex, now(env)); ce != nil {
		return nil, ce
	}
	if ex.Status >= 300 {
		return nil, fmt.Errorf("%s connected, but reading %s with the new token failed: %s", svc, hostPath(target), provider.StatusProblem(svc, ex.Status))
	}
	var answer any
	if json.Unmarshal(ex.Body, &answer) != nil {
		return nil, fmt.Errorf("%s connected, but its answer at %s is not JSON.", svc, hostPath(target))
	}
	return answer, nil
}

// present puts the access token where the service reads it.
func (c client) present(req *http.Request, access string) {
	if h := c.preset.Header; h != "" {
		req.Header.Set(h, access)
		return
	}
	req.Header.Set("Authorization", "Bearer "+access)
}

// stillWorks renews a token of a service whose tokens do not expire and
// that gave no refresh token: its "who am I" says whether it still works,
// and if so it is kept for the row's AccessLifetime more. A refusal needs
// a person to connect again.
func (c client) stillWorks(ctx context.Context, env provider.Env, values map[string]string) (provider.Grant, error) {
	svc := c.name(values)
	res := c.testConnection(ctx, env, values)
	if !res.OK {
		if strings.HasPrefix(res.Summary, svc+" did not accept the access token") {
			return provider.Grant{}, &provider.ReconnectError{Message: svc + " no longer accepts the access token: the app was uninstalled or its access revoked. " +
				"Press Reconnect on the token's page to sign in and consent again."}
		}
		return provider.Grant{}, &provider.CallError{Service: svc, Message: res.Summary}
	}
	return provider.Grant{AccessToken: values[KeyAccessToken], ExpiresAt: now(env).Add(c.lifetime(values)).UTC()}, nil
}
