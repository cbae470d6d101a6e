package web

import (
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/sso"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
	"github.com/tokendesk/tokendesk/views"
)

// saveSSOSettings saves Settings → Single sign-on. Single sign-on can be
// switched on only after a Test sign-in with the provider and client as
// saved; password sign-in can be turned off only while single sign-on is
// on and a break-glass administrator is named: never so that nobody can
// sign in.
func (s *Server) saveSSOSettings(c echo.Context) error {
	ctx := c.Request().Context()
	old, err := s.Store.SSOSettingsNow(ctx)
	if err != nil {
		return err
	}
	f := func(k string) string { return strings.TrimSpace(c.FormValue(k)) }
	set := store.SSOSettings{
		Name: f("name"), Issuer: f("issuer"), ClientID: f("client_id"), Claim: f("claim"),
		Scopes:      slices.DeleteFunc(strings.Fields(f("scopes")), func(s string) bool { return s == "openid" }),
		AdminValues: sso.List(c.FormValue("admin_values")), BreakGlass: sso.List(strings.ToLower(c.FormValue("break_glass"))),
		Enabled: c.FormValue("enabled") != "", PasswordOff: c.FormValue("password_off") != "", TrustEmail: c.FormValue("trust_email") != "",
		HasSecret: old.HasSecret, TestedAt: old.TestedAt, TestedBy: old.TestedBy,
	}
	secret := c.FormValue("client_secret")
	if secret != "" && old.HasSecret {
		// The same secret typed again is no change: the test still holds.
		if sealed, err := s.Store.SSOClientSecret(ctx); err != nil {
			return err
		} else if plain, err := s.Box.Open(sealed, ssoSecretAAD); err == nil && subtle.ConstantTimeCompare(plain, []byte(secret)) == 1 {
			secret = ""
		}
	}
	errs := map[string]string{}
	switch {
	case set.Name == "":
		errs["name"] = "Enter the name people know the identity provider by, e.g. Contoso Entra ID."
	case len(set.Name) > 60:
		errs["name"] = "Keep the name to 60 characters."
	}
	if msg := issuerProblem(set.Issuer); msg != "" {
		errs["issuer"] = msg
	}
	if set.ClientID == "" {
		errs["client_id"] = "Enter the client (application) ID the identity provider gave this app."
	}
	if secret == "" && !old.HasSecret {
		errs["client_secret"] = "Enter the client secret the identity provider gave this app."
	} else if c.FormValue("client_secret") == "" && (set.Issuer != old.Issuer || set.ClientID != old.ClientID) {
		// The stored secret would go to whatever the new issuer's token
		// endpoint is: a mistyped or hostile URL would receive it.
		errs["client_secret"] = "Enter the Client Secret again: the Issuer URL or Client ID changed, and a stored secret is only sent to the provider it was saved for."
	}
	if set.Claim == "" {
		errs["claim"] = "Enter the claim that carries the groups, e.g. groups."
	}
	rules, err := sso.ParseDesignerRules(c.FormValue("designer_rules"))
	if err != nil {
		errs["designer_rules"] = "Designer values: " + err.Error() + "."
	}
	set.DesignerRules = rules
	if msg, err := s.unknownApp(c, rules); err != nil {
		return err
	} else if msg != "" {
		errs["designer_rules"] = msg
	}
	for _, e := range set.BreakGlass {
		u, err := s.Store.UserByEmail(ctx, e)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err != nil || !u.IsAdmin() || !u.Active {
			errs["break_glass"] = e + " is not an active administrator: break-glass sign-in is for administrators."
			break
		}
	}
	untest := set.Issuer != old.Issuer || set.ClientID != old.ClientID || secret != "" || !slices.Equal(set.Scopes, old.Scopes) || set.Claim != old.Claim
	if untest {
		set.TestedAt, set.TestedBy = time.Time{}, "" // the test no longer holds
	}
	if set.Enabled && (untest || old.TestedAt.IsZero()) {
		errs["enabled"] = "Save the provider and client, then run Test sign-in successfully, before switching single sign-on on."
	}
	if set.PasswordOff && !set.Enabled {
		errs["password_off"] = "Password sign-in can be turned off only while single sign-on is on: otherwise nobody could sign in."
	} else if set.PasswordOff && len(set.BreakGlass) == 0 {
		errs["password_off"] = "Name at least one break-glass administrator below, who can still sign in with a password when the identity provider is down."
	}
	if len(errs) > 0 {
		m := s.ssoSettingsPage(c, set)
		m.Scopes, m.AdminValues, m.DesignerRules, m.BreakGlass = c.FormValue("scopes"), c.FormValue("admin_values"), c.FormValue("designer_rules"), c.FormValue("break_glass")
		m.Errors = errs
		return render(c, http.StatusUnprocessableEntity, views.SSOSettings(m))
	}
	sv := store.SSOSave{Settings: set, Untest: untest, Actor: currentUser(c).Email, Changed: ssoChanged(old, set, secret != "")}
	if secret != "" {
		sv.Secret = s.Box.Seal([]byte(secret), ssoSecretAAD)
	}
	if err := s.Store.SaveSSOSettings(ctx, sv); err != nil {
		return err
	}
	msg := "Single sign-on settings saved."
	if untest && old.Issuer != "" {
		msg += " The provider or client changed: run Test sign-in again before switching single sign-on on."
	}
	s.flash(c, msg)
	return c.Redirect(http.StatusSeeOther, "/settings/sso")
}

// issuerProblem checks the Issuer URL: https, or http on this machine
// (a provider under test).
func issuerProblem(issuer string) string {
	u, err := url.Parse(issuer)
	if issuer == "" || err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "Enter the issuer URL, such as https://login.microsoftonline.com/<tenant id>/v2.0 (no query or fragment)."
	}
	host := u.Hostname()
	loopback := host == "localhost"
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		loopback = true
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback) {
		return "The issuer URL must start with https:// (plain http only on this machine, for testing)."
	}
	return ""
}

// unknownApp names the first designer rule whose app does not exist.
func (s *Server) unknownApp(c echo.Context, rules []store.SSODesignerRule) (string, error) {
	if len(rules) == 0 {
		return "", nil
	}
	apps, err := s.Store.ListApps(c.Request().Context(), 0)
	if err != nil {
		return "", err
	}
	for _, r := range rules {
		if !slices.ContainsFunc(apps, func(a store.App) bool { return token.NameKey(a.Name) == token.NameKey(r.App) }) {
			return "There is no application named “" + r.App + "”: create it first, or fix the name.", nil
		}
	}
	return "", nil
}

// ssoChanged names the fields a save changed, for the audit log: names
// only, never the secret.
func ssoChanged(old, set store.SSOSettings, secret bool) []string {
	var out []string
	add := func(changed bool, name string) {
		if changed {
			out = append(out, name)
		}
	}
	add(old.Name != set.Name, "name")
	add(old.Issuer != set.Issuer, "issuer")
	add(old.ClientID != set.ClientID, "client_id")
	add(secret, "client_secret")
	add(!slices.Equal(old.Scopes, set.Scopes), "scopes")
	add(old.Claim != set.Claim, "claim")
	add(!slices.Equal(old.AdminValues, set.AdminValues), "admin_values")
	add(!slices.Equal(old.DesignerRules, set.DesignerRules), "designer_rules")
	add(old.Enabled != set.Enabled, "enabled")
	add(old.PasswordOff != set.PasswordOff, "password_off")
	add(!slices.Equal(old.BreakGlass, set.BreakGlass), "break_glass")
	add(old.TrustEmail != set.TrustEmail, "trust_email")
	return out
}
