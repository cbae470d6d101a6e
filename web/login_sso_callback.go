package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/sso"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
	"github.com/tokendesk/tokendesk/views"
)

// ssoCallback is the Redirect URI registered with the identity provider.
// A sign-in creates the person on first sign-in when the role mapping
// gives them a role, and sets their role and apps from the claim at every
// sign-in; no role means no access, and their sessions end. A Test
// sign-in shows what came back and signs nobody in.
func (s *Server) ssoCallback(c echo.Context) error {
	out, err := s.finishSSOTrip(c)
	if err != nil {
		return ssoError(err)
	}
	if out.state.Mode == store.SSOModeTest {
		return s.showSSOTest(c, out)
	}
	ctx := c.Request().Context()
	if !out.set.Enabled {
		return userError(http.StatusForbidden, "Single sign-on was switched off. Nobody was signed in. Sign in with your email and password.")
	}
	email, verified := ssoEmail(out.claims)
	issuer, subject := ssoSubject(out.claims)
	if email == "" || issuer == "" || subject == "" {
		return userError(http.StatusForbidden, "Your identity provider sent no email address, which tokendesk needs to know who you are. Nobody was signed in. Ask your administrator to add the email claim.")
	}
	access, err := s.ssoAccess(c, out)
	if err != nil {
		return err
	}
	if access.Role == "" {
		if err := s.Store.RefuseSSOUser(ctx, issuer, subject, email, "no role: the "+out.set.Claim+" claim matches no mapping"); err != nil {
			return err
		}
		s.Logger.Info("sso refused", "reason", "no role", "user", email, "request_id", requestID(c))
		return userError(http.StatusForbidden, "Your organisation's identity provider no longer gives you access to tokendesk (you are in none of the groups it maps to a role). Any sessions you had have ended. Ask your administrator if you need access.")
	}
	u, created, err := s.Store.SyncSSOUser(ctx, store.SSOUser{Issuer: issuer, Subject: subject, Email: email, EmailVerified: verified || out.set.TrustEmail, Role: access.Role, AppIDs: access.appIDs, Detail: "signed in as " + access.Describe()})
	switch {
	case errors.Is(err, store.ErrSSOUnverified):
		s.Logger.Info("sso refused", "reason", "unverified email of an existing account", "user", email, "request_id", requestID(c))
		return userError(http.StatusForbidden, "A tokendesk account with the email "+email+" already exists, and your identity provider does not say it has verified that address, so tokendesk cannot tell it is yours. Nobody was signed in and nothing changed. Ask your administrator: they can have the identity provider send email_verified, tick \"Trust the email addresses\" in Settings → Single sign-on if the provider's addresses are reliable, or remove the old account so that single sign-on creates yours.")
	case errors.Is(err, store.ErrSSOEmailTaken):
		return userError(http.StatusConflict, "Your identity provider now gives you the email "+email+", which another tokendesk account already has. Nobody was signed in and nothing changed. Ask your administrator to sort out the two accounts.")
	case errors.Is(err, store.ErrInactive):
		return userError(http.StatusForbidden, "An administrator has deactivated your tokendesk account. Nobody was signed in.")
	case errors.Is(err, store.ErrLastAdmin):
		return userError(http.StatusForbidden, "The identity provider no longer makes you an administrator, but you are tokendesk's last active administrator: nobody was signed in and nothing changed. Make another administrator first, or fix the group in the identity provider.")
	case err != nil:
		return err
	}
	if err := s.startSession(c, u.ID); err != nil {
		return err
	}
	s.Logger.Info("signed in", "user", u.Email, "by", "sso", "created", created)
	return c.Redirect(http.StatusSeeOther, safeNext(out.state.Next))
}

// ssoMapped is the role mapping's outcome with the apps found by name.
type ssoMapped struct {
	sso.Access
	appIDs []int64
}

// ssoAccess maps the claim; apps deleted since the mapping was saved are
// skipped, and a designer left with none has no access.
func (s *Server) ssoAccess(c echo.Context, out ssoOutcome) (ssoMapped, error) {
	m := ssoMapped{Access: sso.Map(out.set, sso.ClaimValues(out.claims, out.set.Claim))}
	if m.Role != store.RoleDesigner {
		return m, nil
	}
	apps, err := s.Store.ListApps(c.Request().Context(), 0)
	if err != nil {
		return m, err
	}
	var names []string
	for _, want := range m.Apps {
		for _, a := range apps {
			if token.NameKey(a.Name) == token.NameKey(want) {
				m.appIDs = append(m.appIDs, a.ID)
				names = append(names, a.Name)
			}
		}
	}
	m.Apps = names
	if len(m.appIDs) == 0 {
		m.Access = sso.Access{}
	}
	return m, nil
}

// showSSOTest ends a Test sign-in: only the administrator who started it
// sees it, and it is recorded so that single sign-on may be switched on.
func (s *Server) showSSOTest(c echo.Context, out ssoOutcome) error {
	u := currentUser(c)
	if u == nil || u.ID != out.state.UserID || !u.IsAdmin() {
		return userError(http.StatusForbidden, "This Test sign-in was started by another administrator's session. Nothing was recorded.")
	}
	access, err := s.ssoAccess(c, out)
	if err != nil {
		return err
	}
	email, _ := ssoEmail(out.claims)
	err = s.Store.RecordSSOTest(c.Request().Context(), out.set.UpdatedAt, u.Email, "claims of "+email+" map to "+access.Describe())
	if errors.Is(err, store.ErrSSOChanged) {
		return userError(http.StatusConflict, "The single sign-on settings changed while this test was under way, so it proves nothing about them. Press Test sign-in again.")
	}
	if err != nil {
		return err
	}
	values := sso.ClaimValues(out.claims, out.set.Claim)
	m := views.SSOTestPage{Page: s.page(c, "Test sign-in", views.NavSettings, views.Crumb{Label: "Settings", URL: "/settings"}, views.Crumb{Label: "Single sign-on", URL: "/settings/sso"}, views.Crumb{Label: "Test sign-in"}),
		Claims: claimRows(out.claims), Email: email, Claim: out.set.Claim, Values: strings.Join(values, ", "), Access: access.Describe(), OK: access.Role != ""}
	if m.Values == "" {
		m.Values = "(not in the ID token)"
	}
	return render(c, http.StatusOK, views.SSOTest(m))
}
