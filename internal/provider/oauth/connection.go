package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/tokendesk/tokendesk/internal/netguard"
	"github.com/tokendesk/tokendesk/internal/provider"
)

// KeyTestURL is the generic form's Test URL.
const KeyTestURL = "test_url"

// The Test URL receives the access token: an address (Endpoint) like the
// Token URL, so that moving it never sends a stored token elsewhere.
func testURLField() provider.Field {
	return provider.Field{
		Key: KeyTestURL, Label: "Test URL", Control: provider.Text, Credential: true, Endpoint: true, MaxLen: 2048,
		Check: checkURL, Placeholder: "https://",
		Help: "Optional. A \u201cwho am I\u201d address of the service (its OpenID Connect userinfo endpoint, /me): Test Connection, and Save, " +
			"call it with the access token and show whose account it reaches.",
	}
}

// whoAmI is the request Test Connection makes: the preset's, else the
// Test URL.
func (c client) whoAmI(values map[string]string) WhoAmI {
	if c.preset.WhoAmI != nil {
		return *c.preset.WhoAmI
	}
	return WhoAmI{URL: values[KeyTestURL]}
}

// testConnection is Test Connection: with the access token in the form
// (or, for Client Credentials, one obtained for the test), ask the
// service whose account it reaches, step by step, as Zoom's button does.
// Nothing is kept, and nothing is renewed: a refresh here would spend a
// rotating refresh token whose successor no one saves.
func (c client) testConnection(ctx context.Context, env provider.Env, values map[string]string) provider.Result {
	svc := c.name(values)
	res := provider.Result{}
	access, extra := values[KeyAccessToken], map[string]string{}
	if values[KeyGrantType] == GrantClientCredentials {
		start := now(env)
		g, err := c.clientCredentials(ctx, env, values)
		step := provider.Step{Text: "Asked " + svc + " for an access token with client credentials", Took: now(env).Sub(start)}
		if err != nil {
			res.Steps = []provider.Step{step}
			res.Summary = err.Error()
			return res
		}
		step.OK = true
		res.Steps = append(res.Steps, step, provider.Step{Text: "Authentication succeeded: " + svc + " issued an access token for these credentials", OK: true})
		access, extra = g.AccessToken, g.Extra
	} else if access == "" {
		res.Untested = true
		res.Summary = "There is no access token to test yet: press Get OAuth 2.0 Access Token to sign in to " + svc + " first."
		return res
	}
	who := c.whoAmI(values)
	if who.URL == "" {
		if values[KeyGrantType] == GrantClientCredentials {
			res.OK = true
			res.Summary = "Connected to " + svc + ": the credentials are valid and an access token was obtained."
			res.Warning = "Enter a Test URL (a \u201cwho am I\u201d address of the service) to learn whose account the token reaches."
			return res
		}
		res.Untested = true
		res.Summary = "Enter a Test URL (a \u201cwho am I\u201d address of the service, such as its userinfo endpoint) to test this access token."
		return res
	}
	target, ok := expandWith(who.URL, c.preset.substituted(values), extra, c.preset.Subst)
	if !ok {
		res.Summary = svc + " gave no address to test with this access token (it has no " + missingKey(who.URL, c.preset.substituted(values), extra) +
			"): press Get OAuth 2.0 Access Token to obtain a new one."
		return res
	}
	target = c.demo(target)
	if msg := checkURL(target); msg != "" {
		res.Summary = "Test URL: " + msg
		return res
	}
	method := who.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if who.Body != "" {
		body = strings.NewReader(who.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		res.Summary = "Test URL: " + checkURL("")
		return res
	}
	c.present(req, access)
	req.Header.Set("Accept", "application/json")
	if who.Body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range who.Headers {
		req.Header.Set(k, v)
	}
	// The Test URL, and a preset's who-am-I (a default that can be edited),
	// were typed on a form: guarded even where they name the host of a
	// service's configured URL, which the provider client otherwise trusts.
	ex, err := provider.Do(netguard.Guard(ctx), env.HTTP, svc, req)
	res.Steps = append(res.Steps, ex.Step)
	if err != nil {
		res.Summary = err.Error()
		return res
	}
	secrets := []string{access, values[KeyClientSecret], values[KeyRefreshToken]}
	if ce := provider.Throttle(svc, req.URL.Host, ex, now(env)); ce != nil {
		res.Summary = ce.Message
		return res
	}
	said := ""
	if d := serviceSaid(ex.Body); d != "" {
		said = fmt.Sprintf(" It said: \u201c%s\u201d.", provider.Redact(d, secrets...))
	}
	switch {
	case ex.Status == http.StatusUnauthorized:
		res.Summary = fmt.Sprintf("%s did not accept the access token (HTTP 401): it expired or was revoked. "+
			"Press Get OAuth 2.0 Access Token (or Reconnect on the token's page) to sign in again.%s", svc, said)
		return res
	case ex.Status == http.StatusForbidden || ex.Status == http.StatusBadRequest && zoomMissingScope(ex.Body):
		// The token is good; it may not read the account (a missing scope).
		res.OK = true
		res.Steps = append(res.Steps, provider.Step{Text: "Authentication succeeded: " + svc + " accepted the access token", OK: true})
		res.Summary = "Connected to " + svc + ": the access token is valid."
		res.Warning = fmt.Sprintf("%s would not say whose account it is (HTTP %d): the token lacks the scope to read the account.%s", svc, ex.Status, said)
		return res
	case ex.Status >= 300:
		res.Summary = provider.StatusProblem(svc, ex.Status) + said
		return res
	}
	if who.OK != "" {
		var m any
		json.Unmarshal(ex.Body, &m)
		if dig(m, who.OK) != "true" {
			code := provider.Redact(dig(m, "error"), secrets...)
			res.Summary = fmt.Sprintf("%s did not accept the access token (it answered %s: false, error %q): it was revoked or the app uninstalled. "+
				"Press Get OAuth 2.0 Access Token (or Reconnect on the token's page) to sign in again.", svc, who.OK, code)
			return res
		}
	}
	res.OK = true
	res.Steps = append(res.Steps, provider.Step{Text: "Authentication succeeded", OK: true})
	if who := c.account(who, ex.Body); who != "" {
		who = provider.Redact(who, secrets...)
		res.Steps = append(res.Steps, provider.Step{Text: svc + " says this access token belongs to " + who, OK: true})
		res.Summary = "Connected to " + svc + " as " + who + "."
	} else {
		res.Summary = "Connected to " + svc + ": the access token was accepted."
	}
	return res
}

// serviceSaid is the description in an error answer, in the shapes
// services use: RFC 6749/6750's, Zoom's reason and message, Graph's nested
// error.message.
func serviceSaid(body []byte) string {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	for _, k := range []string{"error_description", "reason", "message"} {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	if e, ok := m["error"].(map[string]any); ok {
		if s, ok := e["message"].(string); ok {
			return s
		}
	}
	return ""
}

func zoomMissingScope(body []byte) bool {
	var m struct {
		Code int `json:"code"`
	}
	return json.Unmarshal(body, &m) == nil && (m.Code == 4711 || m.Code == 4700)
}

// describeAccount names the account a "who am I" answer describes, in the
// shapes of the presets' services: Google Drive's user.displayName and
// emailAddress, Graph's displayName and userPrincipalName, Box's name and
// login, Dropbox's name.display_name and email, Zoom's first_name,
// last_name and email, OpenID Connect's name and email.
func describeAccount(body []byte) string {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	if u, ok := m["user"].(map[string]any); ok {
		m = u
	}
	str := func(k string) string { s, _ := m[k].(string); return strings.TrimSpace(s) }
	name := str("displayName")
	if name == "" {
		if n, ok := m["name"].(map[string]any); ok {
			name, _ = n["display_name"].(string)
		} else {
			name = str("name")
		}
	}
	if name == "" {
		name = strings.TrimSpace(str("first_name") + " " + str("last_name"))
	}
	email := ""
	for _, k := range []string{"emailAddress", "email", "mail", "userPrincipalName", "login", "preferred_username"} {
		if email = str(k); email != "" {
			break
		}
	}
	switch {
	case name != "" && email != "" && name != email:
		return name + " (" + email + ")"
	case name != "":
		return name
	case email != "":
		return email
	}
	return str("sub")
}

// account names the account a "who am I" answer describes: where the
// row says (Name, Email), else in the usual shapes.
func (c client) account(who WhoAmI, body []byte) string {
	if who.Name == "" && who.Email == "" {
		return describeAccount(body)
	}
	var m any
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	namePath := who.Name
	if namePath == "" {
		namePath = "name"
	}
	name, email := strings.TrimSpace(dig(m, namePath)), ""
	if who.Email != "" {
		email = strings.TrimSpace(dig(m, who.Email))
	}
	switch {
	case name != "" && email != "" && name != email:
		return name + " (" + email + ")"
	case name != "":
		return name
	case email != "":
		return email
	}
	return describeAccount(body)
}
