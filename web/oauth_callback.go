package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/oauth"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
)

// oauthCallbackPath is where every OAuth 2.0 service sends the browser
// back: the Redirect URI's path.
const oauthCallbackPath = oauth.CallbackPath

// oauthCallback is the end of a trip to a consent page. The state must be
// one this very session started, unused and under 10 minutes old, for a
// token that is still the one it left for, and an iss sent with it must
// name the server it went to; anything else is a 400 that changes nothing.
// A refusal at the service is brought back to the form in words; a code is
// exchanged, and the grant goes back to the form sealed (or, for
// Reconnect, is saved at once).
func (s *Server) oauthCallback(c echo.Context) error {
	u := currentUser(c)
	q := c.QueryParams()
	ctx := c.Request().Context()
	st, err := s.Store.UseOAuthState(ctx, stateHash(q.Get("state")), u.ID, currentSessionRef(c), s.Now())
	switch {
	case q.Get("state") == "" || errors.Is(err, store.ErrStateUnknown):
		return userError(http.StatusBadRequest, "This sign-in cannot be completed: its state is not one tokendesk sent from your session. Nothing was changed. Open the token's form and press Get OAuth 2.0 Access Token again.")
	case errors.Is(err, store.ErrStateUsed):
		return userError(http.StatusBadRequest, "This sign-in was completed already: each one can be used once. Nothing was changed. Press Get OAuth 2.0 Access Token again if you need a new token.")
	case errors.Is(err, store.ErrStateExpired):
		return userError(http.StatusBadRequest, "This sign-in took longer than 10 minutes and has expired. Nothing was changed. Press Get OAuth 2.0 Access Token to start again.")
	case err != nil:
		return err
	}
	// The trip may have started minutes ago: the person must still be
	// allowed the list it returns to (an administrator demoted, a
	// designer taken off the app), or nothing is saved.
	if ok, err := s.mayUseScope(c, st.AppID); err != nil {
		return err
	} else if !ok {
		return userError(http.StatusForbidden, "You are no longer allowed to change this list's access tokens, so this sign-in was not completed. Nothing was changed.")
	}
	p, ok := registry.ByID(st.Provider)
	if !ok || p.Consent == nil {
		return userError(http.StatusBadRequest, "This sign-in is for a kind of token this server no longer knows. Nothing was changed.")
	}
	var draft consentDraft
	plain, err := s.Box.Open(st.Draft, draftAAD(st.Hash))
	if err == nil {
		err = json.Unmarshal(plain, &draft)
	}
	if err != nil {
		return fmt.Errorf("oauth: opening a consent draft: %w", err)
	}
	verifier, err := s.Box.Open(st.Verifier, verifierAAD(st.Hash))
	if err != nil {
		return fmt.Errorf("oauth: opening a PKCE verifier: %w", err)
	}
	if st.TokenID != 0 {
		if ok, err := s.consentStillForToken(ctx, st, draft); err != nil {
			return err
		} else if !ok {
			return userError(http.StatusBadRequest, "This sign-in was started for an access token that no longer exists (it was removed, or moved to another list). Nothing was changed. Open the token you mean and press Get OAuth 2.0 Access Token (or Reconnect) again.")
		}
	}
	if iss, sent := q["iss"]; sent && !issuerMatches(iss[0], draft.AuthEndpoint) {
		// RFC 9207: an answer that names another authorization server than
		// the one the browser was sent to is a mix-up; its code is not
		// exchanged anywhere.
		s.Logger.Warn("oauth callback: issuer mismatch", "provider", p.ID, "token_id", st.TokenID, "request_id", requestID(c))
		return userError(http.StatusBadRequest, "This sign-in came back from another service than the one it was sent to (its issuer does not match). Nothing was changed. Press Get OAuth 2.0 Access Token to start again.")
	}

	svc := serviceName(p, draft.Call)
	var res consentResult
	switch code := q.Get("code"); {
	case q.Get("error") != "":
		res.Problem = providerRefusal(svc, q.Get("error"), q.Get("error_description"), p.SecretValues(draft.Call)...)
	case code == "":
		res.Problem = svc + " sent you back without an authorization code. Press Get OAuth 2.0 Access Token to try again."
	default:
		ctx, cancel := context.WithTimeout(ctx, actionTimeout)
		defer cancel()
		env := s.providerEnv()
		g, err := p.Consent.Exchange(ctx, env, withCallbackValues(p, draft.Call, q), s.redirectURI(), code, string(verifier))
		if err != nil {
			res.Problem = err.Error()
		} else {
			res.Grant = &g
			res.Summary = "Obtained an OAuth 2.0 access token from " + svc
			if !g.ExpiresAt.IsZero() {
				res.Summary += ", valid until " + g.ExpiresAt.Format("2006-01-02 15:04:05 UTC")
			}
			if g.RefreshToken != "" {
				res.Summary += ", with a refresh token"
			}
			res.Summary += ". Press Save to keep it."
		}
	}
	s.Logger.Info("oauth callback", "provider", p.ID, "token_id", st.TokenID, "ok", res.Grant != nil, "request_id", requestID(c))
	if st.Reconnect {
		return s.finishReconnect(c, p, svc, st, res)
	}
	plain, err = json.Marshal(res)
	if err != nil {
		return err
	}
	if err := s.Store.SaveOAuthResult(ctx, st.ID, s.Box.Seal(plain, resultAAD(st.Hash))); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, formURL(st)+"?oauth="+fmt.Sprint(st.ID))
}

// serviceName names the service in messages: the preset's name, or the
// authorization URL's host for the generic provider.
func serviceName(p provider.Provider, values map[string]string) string {
	if p.ID == oauth.ID {
		if u, err := url.Parse(values[oauth.KeyAuthURL]); err == nil && u.Host != "" {
			return u.Host
		}
		return "The OAuth 2.0 service"
	}
	return p.Name
}

// providerRefusal words an authorization error response (RFC 6749 §4.1.2.1).
// What the service wrote is quoted with none of secrets (the token's) in
// it: anyone can put them in a URL that comes back here.
func providerRefusal(svc, code, desc string, secrets ...string) string {
	var msg string
	switch code {
	case "access_denied":
		msg = fmt.Sprintf("%s reports that access was denied (access_denied): consent was refused at the service, so no token was issued.", svc)
	case "invalid_request":
		msg = fmt.Sprintf("%s refused the sign-in request (invalid_request): check the Client ID, the Redirect URI registered at the service (it must be the one shown here) and the Additional Parameters.", svc)
	case "unauthorized_client":
		msg = fmt.Sprintf("%s does not allow this app the authorization code grant (unauthorized_client): enable it in the app's settings at the service.", svc)
	case "invalid_scope":
		msg = fmt.Sprintf("%s refused the Scope (invalid_scope): check the scopes the app may ask for.", svc)
	case "unsupported_response_type":
		msg = fmt.Sprintf("%s does not offer the authorization code grant (unsupported_response_type).", svc)
	case "server_error", "temporarily_unavailable":
		msg = fmt.Sprintf("%s could not complete the sign-in (%s): try again in a moment.", svc, code)
	default:
		msg = fmt.Sprintf("%s refused the sign-in (%s).", svc, provider.Redact(code, secrets...))
	}
	msg += provider.Said(desc, secrets...)
	return msg + " Press Get OAuth 2.0 Access Token to try again."
}

// reconnectLease bounds how long saving a reconnection may hold the
// token's renewal lease.
const reconnectLease = 30 * time.Second

// finishReconnect saves the grant of a Reconnect at once, through the
// renewal lease, so that it never races a renewal of the same token.
func (s *Server) finishReconnect(c echo.Context, p provider.Provider, svc string, st store.OAuthState, res consentResult) error {
	back := scopeBase(st.AppID) + "/" + strconv.FormatInt(st.TokenID, 10)
	if res.Grant == nil {
		s.flashError(c, "Reconnecting failed: "+res.Problem)
		return c.Redirect(http.StatusSeeOther, back)
	}
	ctx := store.WithActor(c.Request().Context(), currentUser(c).Email)
	owner := "reconnect " + requestID(c)
	var cl store.Claim
	for attempt := 0; ; attempt++ {
		var err error
		cl, err = s.Store.ClaimOne(ctx, st.TokenID, owner, s.Now(), reconnectLease)
		if errors.Is(err, store.ErrLeased) && attempt < 100 {
			// A renewal is under way; it fails (invalid_grant) or ends soon.
			select {
			case <-time.After(50 * time.Millisecond):
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if errors.Is(err, store.ErrNotFound) {
			return userError(http.StatusNotFound, "This access token does not exist. It may have been removed.")
		}
		if err != nil {
			return err
		}
		break
	}
	for attempt := 0; ; attempt++ {
		err := s.Store.SaveRenewal(ctx, cl, token.FromGrant(p, *res.Grant), s.Now())
		if errors.Is(err, store.ErrStale) && attempt < 3 {
			// Edited meanwhile: the edit stands, the grant is added to it.
			t, terr := s.Store.TokenByID(ctx, st.TokenID)
			if terr != nil {
				return terr
			}
			cl.Version = t.Version
			continue
		}
		if err != nil {
			return err
		}
		break
	}
	s.flash(c, "Reconnected to "+svc+": the new access token is saved and renewals resume.")
	s.wakeRenewer()
	return c.Redirect(http.StatusSeeOther, back)
}

// scopeBase is the token list of an app (or the global one for 0).
func scopeBase(appID int64) string {
	if appID == 0 {
		return "/tokens"
	}
	return "/apps/" + strconv.FormatInt(appID, 10) + "/tokens"
}

// mayUseScope reports whether the signed-in person may work on the tokens
// of app appID (the global ones for 0), as globalScope and appScope allow.
func (s *Server) mayUseScope(c echo.Context, appID int64) (bool, error) {
	u := currentUser(c)
	if u.IsAdmin() {
		return true, nil
	}
	if appID == 0 {
		return false, nil
	}
	return s.Store.IsDesigner(c.Request().Context(), appID, u.ID)
}

// withCallbackValues adds the callback parameters the provider asks for
// (QuickBooks' realmId) to the values the code is exchanged with. Anyone
// can put them in a URL that comes here, and they may end up in a path
// (QuickBooks' /v3/company/{realm_id}): only short identifiers pass,
// letters, digits, "-" and "_" (no ".": ".." would climb that path).
func withCallbackValues(p provider.Provider, values map[string]string, q url.Values) map[string]string {
	if len(p.Consent.Callback) == 0 {
		return values
	}
	out := make(map[string]string, len(values)+len(p.Consent.Callback))
	for k, v := range values {
		out[k] = v
	}
	for _, name := range p.Consent.Callback {
		v := q.Get(name)
		if len(v) > 128 || strings.IndexFunc(v, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
		}) >= 0 {
			continue
		}
		out[provider.CallbackKey(name)] = v
	}
	return out
}
