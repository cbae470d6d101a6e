package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
	"golang.org/x/oauth2"
)

// Single sign-on with OpenID Connect: the trip to the identity provider
// and back, shared by sign-in (login_sso*.go) and Test sign-in
// (settings_sso_test_start.go). The state, nonce and PKCE verifier live
// in the database (sso_states), so that any replica can finish a trip
// another one started; the state is bound to the browser by a random
// cookie, so a state carried to another browser is worthless.

const (
	ssoCallbackPath = "/login/sso/callback"
	ssoBrowser      = "tokendesk_sso"
	ssoTTL          = 10 * time.Minute
	ssoSecretAAD    = store.SSOSecretAAD
	// An address may start this many trips in the window: plenty for
	// people behind one NAT signing in, few enough that a flood of
	// anonymous starts neither fills the table nor hammers the provider.
	ssoTripsPerAddress = 60
	ssoTripWindow      = 10 * time.Minute
)

// ssoRedirectURI is the Redirect URI to register with the identity provider.
func (s *Server) ssoRedirectURI() string { return s.serverURL(ssoCallbackPath) }

// ssoProblem is a refusal the person may read, with the log's reason.
type ssoProblem struct {
	status int
	msg    string
}

func (p ssoProblem) Error() string { return p.msg }

func refuseSSO(status int, msg string) error { return ssoProblem{status, msg} }

// ssoClient discovers the provider (each time: sign-ins are rare, and a
// provider's moved keys or endpoints are then never stale on any replica)
// and builds the code exchange and the ID token's verifier. The library
// checks the issuer, audience, expiry and RS256 signature.
func (s *Server) ssoClient(ctx context.Context, set store.SSOSettings) (*oauth2.Config, *oidc.IDTokenVerifier, context.Context, error) {
	sealed, err := s.Store.SSOClientSecret(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	secret, err := s.Box.Open(sealed, ssoSecretAAD)
	if err != nil || set.Issuer == "" || set.ClientID == "" {
		return nil, nil, nil, refuseSSO(http.StatusConflict, "Single sign-on is not set up completely: an administrator must save the issuer, client ID and client secret in Settings → Single sign-on.")
	}
	ctx = oidc.ClientContext(ctx, s.HTTPClient)
	p, err := oidc.NewProvider(ctx, set.Issuer)
	if err != nil {
		s.Logger.Warn("sso discovery failed", "issuer", set.Issuer, "err", err)
		return nil, nil, nil, refuseSSO(http.StatusBadGateway, "tokendesk could not read the identity provider's configuration at "+strings.TrimSuffix(set.Issuer, "/")+"/.well-known/openid-configuration (unreachable, or it names another issuer). Check the Issuer URL in Settings → Single sign-on.")
	}
	conf := &oauth2.Config{
		ClientID: set.ClientID, ClientSecret: string(secret), Endpoint: p.Endpoint(),
		RedirectURL: s.ssoRedirectURI(), Scopes: append([]string{oidc.ScopeOpenID}, set.Scopes...),
	}
	verifier := p.Verifier(&oidc.Config{ClientID: set.ClientID, Now: s.Now, SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256, oidc.PS256}})
	return conf, verifier, ctx, nil
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ssoBrowserHash names this browser for a trip: the hash of a random
// cookie, set when missing (create) and kept for the trip's lifetime.
func (s *Server) ssoBrowserHash(c echo.Context, create bool) string {
	if ck, err := c.Cookie(ssoBrowser); err == nil && len(ck.Value) >= 32 {
		return stateHash(ck.Value)
	}
	if !create {
		return ""
	}
	v := randomToken()
	// Lax: the identity provider's redirect back is a top-level GET from
	// another site, which Strict would strip the cookie from.
	c.SetCookie(&http.Cookie{Name: ssoBrowser, Value: v, Path: "/login/sso", MaxAge: int(ssoTTL.Seconds()),
		HttpOnly: true, Secure: s.Config.SecureCookies(), SameSite: http.SameSiteLaxMode})
	return stateHash(v)
}

// startSSOTrip records a trip and returns the identity provider's
// authorization URL: state, nonce and PKCE (S256).
func (s *Server) startSSOTrip(c echo.Context, set store.SSOSettings, mode string, userID int64, next string) (string, error) {
	ctx := c.Request().Context()
	if n, err := s.Store.SSOTripsFrom(ctx, c.RealIP(), s.Now().Add(-ssoTripWindow)); err != nil {
		return "", err
	} else if n >= ssoTripsPerAddress {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(ssoTripWindow.Seconds())))
		return "", refuseSSO(http.StatusTooManyRequests, "Too many sign-ins were started from your address in the last few minutes. Wait 10 minutes, then try again.")
	}
	conf, _, _, err := s.ssoClient(ctx, set)
	if err != nil {
		return "", err
	}
	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	now := s.Now()
	err = s.Store.CreateSSOState(ctx, store.SSOState{
		Hash: stateHash(state), BrowserHash: s.ssoBrowserHash(c, true), Mode: mode, UserID: userID,
		NonceHash: stateHash(nonce), Verifier: s.Box.Seal([]byte(verifier), ssoVerifierAAD(stateHash(state))),
		Next: next, Address: c.RealIP(), CreatedAt: now, ExpiresAt: now.Add(ssoTTL),
	})
	if err != nil {
		return "", err
	}
	return conf.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), nil
}

func ssoVerifierAAD(hash string) string { return "tokendesk/sso/verifier/" + hash }

// ssoOutcome is a trip that came back with a verified ID token.
type ssoOutcome struct {
	state  store.SSOState
	set    store.SSOSettings
	claims map[string]any
}

// finishSSOTrip checks everything that came back: the state (this
// browser's, unused, in time), the provider's answer, the code exchange
// (with the PKCE verifier), the ID token (by the library) and its nonce.
// Any failure is a refusal that changes nothing.
func (s *Server) finishSSOTrip(c echo.Context) (ssoOutcome, error) {
	q := c.QueryParams()
	ctx := c.Request().Context()
	st, err := s.Store.UseSSOState(ctx, stateHash(q.Get("state")), s.ssoBrowserHash(c, false), s.Now())
	switch {
	case q.Get("state") == "" || errors.Is(err, store.ErrStateUnknown):
		s.Logger.Info("sso refused", "reason", "unknown state", "ip", c.RealIP(), "request_id", requestID(c))
		return ssoOutcome{}, refuseSSO(http.StatusBadRequest, "This sign-in cannot be completed: it did not start in this browser (its state is not one tokendesk sent here). Nobody was signed in. Start again from the sign-in page.")
	case errors.Is(err, store.ErrStateUsed):
		s.Logger.Info("sso refused", "reason", "state used", "ip", c.RealIP(), "request_id", requestID(c))
		return ssoOutcome{}, refuseSSO(http.StatusBadRequest, "This sign-in was completed already: each one can be used once. Nobody was signed in again. Start again from the sign-in page.")
	case errors.Is(err, store.ErrStateExpired):
		return ssoOutcome{}, refuseSSO(http.StatusBadRequest, "This sign-in took longer than 10 minutes and has expired. Nobody was signed in. Start again from the sign-in page.")
	case err != nil:
		return ssoOutcome{}, err
	}
	out := ssoOutcome{state: st}
	if out.set, err = s.Store.SSOSettingsNow(ctx); err != nil {
		return out, err
	}
	if e := q.Get("error"); e != "" {
		return out, refuseSSO(http.StatusForbidden, "The identity provider did not sign you in ("+clip(e, 60)+"). Nobody was signed in.")
	}
	if iss := q.Get("iss"); iss != "" && iss != out.set.Issuer {
		// RFC 9207: the answer names the server it came from.
		s.Logger.Info("sso refused", "reason", "iss parameter", "iss", clip(iss, 200), "request_id", requestID(c))
		return out, refuseSSO(http.StatusBadRequest, "This answer came from another identity provider than the one set up (its iss parameter differs). Nobody was signed in.")
	}
	verifier, err := s.Box.Open(st.Verifier, ssoVerifierAAD(st.Hash))
	if err != nil {
		return out, err
	}
	conf, idv, octx, err := s.ssoClient(ctx, out.set)
	if err != nil {
		return out, err
	}
	tok, err := conf.Exchange(octx, q.Get("code"), oauth2.VerifierOption(string(verifier)))
	if err != nil {
		var re *oauth2.RetrieveError
		code := "no answer"
		if errors.As(err, &re) && re.ErrorCode != "" {
			code = clip(re.ErrorCode, 60)
		}
		s.Logger.Warn("sso code exchange failed", "code", code, "request_id", requestID(c))
		return out, refuseSSO(http.StatusBadGateway, "The identity provider refused to exchange the sign-in code ("+code+"). Nobody was signed in. Start again; if it keeps failing, check the client ID and secret.")
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return out, refuseSSO(http.StatusBadGateway, "The identity provider sent no ID token. Nobody was signed in. Check that it is an OpenID Connect provider and the openid scope is allowed.")
	}
	idt, err := idv.Verify(octx, raw)
	if err != nil {
		s.Logger.Info("sso refused", "reason", "id token", "err", err, "request_id", requestID(c))
		return out, refuseSSO(http.StatusBadRequest, idTokenProblem(err)+" Nobody was signed in.")
	}
	if stateHash(idt.Nonce) != st.NonceHash || idt.Nonce == "" {
		s.Logger.Info("sso refused", "reason", "nonce", "request_id", requestID(c))
		return out, refuseSSO(http.StatusBadRequest, "The ID token's nonce is not the one tokendesk sent for this sign-in (a replayed or swapped token). Nobody was signed in.")
	}
	if err := idt.Claims(&out.claims); err != nil {
		return out, refuseSSO(http.StatusBadRequest, "The ID token's claims cannot be read. Nobody was signed in.")
	}
	return out, nil
}

// idTokenProblem says which check an ID token failed, in words. The
// library's errors are not typed beyond expiry; their wording is stable.
func idTokenProblem(err error) string {
	var expired *oidc.TokenExpiredError
	msg := err.Error()
	switch {
	case errors.As(err, &expired):
		return "The ID token had expired."
	case strings.Contains(msg, "audience"):
		return "The ID token was issued for another application (its audience is not this client ID)."
	case strings.Contains(msg, "issued by a different provider"):
		return "The ID token was issued by another identity provider than the one set up."
	case strings.Contains(msg, "signature"):
		return "The ID token's signature does not verify against the identity provider's published keys."
	}
	return "The ID token failed verification."
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// ssoEmail is the person's email from the email claim, and whether the
// provider vouches for it: email_verified must be the boolean true. A
// missing claim (Entra ID sends none) or the string "true" is not a
// promise; preferred_username is not used at all (people can change it).
func ssoEmail(claims map[string]any) (email string, verified bool) {
	e, _ := claims["email"].(string)
	if !strings.Contains(e, "@") {
		return "", false
	}
	v, _ := claims["email_verified"].(bool)
	return strings.ToLower(strings.TrimSpace(e)), v
}

// ssoSubject is who the provider says this is: the ID token's issuer and
// subject, both checked by the verifier.
func ssoSubject(claims map[string]any) (issuer, subject string) {
	issuer, _ = claims["iss"].(string)
	subject, _ = claims["sub"].(string)
	return issuer, subject
}

// claimRows shows the claims received, by name.
func claimRows(claims map[string]any) []views.SSOClaim {
	var out []views.SSOClaim
	for k, v := range claims {
		var text string
		if s, ok := v.(string); ok {
			text = s
		} else {
			b, _ := json.Marshal(v)
			text = string(b)
		}
		out = append(out, views.SSOClaim{Name: k, Value: clip(text, 500)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ssoErrorPage turns a refusal into its page; other errors pass on.
func ssoError(err error) error {
	var p ssoProblem
	if errors.As(err, &p) {
		return userError(p.status, p.msg)
	}
	return err
}

// passwordSignInOff reports whether single sign-on has turned password
// sign-in off for this email: everyone but a named break-glass
// administrator who is still an active administrator.
func (s *Server) passwordSignInOff(ctx context.Context, email string) (bool, error) {
	set, err := s.Store.SSOSettingsNow(ctx)
	if err != nil || !set.Enabled || !set.PasswordOff {
		return false, err
	}
	if !set.BreakGlassAllows(email) {
		return true, nil
	}
	u, err := s.Store.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return !(u.IsAdmin() && u.Active), nil
}

// loginSSO fills the sign-in page's single sign-on part.
func (s *Server) loginSSO(ctx context.Context, m *views.LoginPage) error {
	set, err := s.Store.SSOSettingsNow(ctx)
	if err != nil {
		return err
	}
	if set.Enabled {
		m.SSOName, m.PasswordOff = set.Name, set.PasswordOff
	}
	return nil
}

func ssoNameOr(name string) string {
	if name == "" {
		return "your identity provider"
	}
	return name
}
