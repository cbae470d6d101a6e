package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
	"github.com/tokendesk/tokendesk/views"
	"golang.org/x/oauth2"
)

// consentTTL is how long a trip to a consent page may take.
const consentTTL = 10 * time.Minute

// consentDraft is the form as it was when the person left for the consent
// page, and the values the code is exchanged with. It is kept sealed in
// the state's row: secrets typed but not saved yet never reach a URL.
type consentDraft struct {
	Form    map[string]string `json:"f,omitempty"` // the form's values, secrets blanked
	Clear   map[string]bool   `json:"c,omitempty"`
	Secrets map[string]string `json:"s,omitempty"` // typed secrets, kept as pending
	Version int64             `json:"n,omitempty"` // the edit form's version
	Call    map[string]string `json:"v"`           // every value the exchange needs
	// TokenKey is the saved token's consent key when the trip left (not
	// for a new token): the callback saves nothing onto a token whose key
	// differs, that is onto any other token.
	TokenKey string `json:"k,omitempty"`
	// AuthEndpoint is the authorization endpoint the browser was sent to,
	// without its query: what an iss parameter on the way back must name
	// (RFC 9207; see issuerMatches).
	AuthEndpoint string `json:"a,omitempty"`
}

// consentResult is what the callback brought back to the form.
type consentResult struct {
	Grant   *provider.Grant `json:"g,omitempty"`
	Problem string          `json:"p,omitempty"`
	Summary string          `json:"m,omitempty"`
}

func stateHash(state string) string {
	sum := sha256.Sum256([]byte(state))
	return hex.EncodeToString(sum[:])
}

func draftAAD(hash string) string    { return "tokendesk/oauth/draft/" + hash }
func verifierAAD(hash string) string { return "tokendesk/oauth/verifier/" + hash }
func resultAAD(hash string) string   { return "tokendesk/oauth/result/" + hash }

// serverURL is this server's base URL followed by path.
func (s *Server) serverURL(path string) string {
	u := *s.Config.BaseURL
	u.Path = trimSlash(u.Path) + path
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}

func trimSlash(p string) string {
	for len(p) > 0 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	return p
}

// redirectURI is the one callback of every OAuth 2.0 token.
func (s *Server) redirectURI() string { return s.serverURL(oauthCallbackPath) }

// startConsent sends the browser to the service's consent page: the
// authorization code grant's Get OAuth 2.0 Access Token. The form is
// validated first (the name can wait for Save), and kept, sealed, with a
// single-use state bound to the person and the form.
func (s *Server) startConsent(c echo.Context, f *tokenForm, action string, values map[string]string) error {
	for key, msg := range token.Validate(f.p, *f.in, token.SecretsHeld(f.p, f.tok, f.pending.Secrets, f.pending.Grant)) {
		if key == provider.KeyName || key == provider.KeyDescription {
			continue
		}
		if f.errs == nil {
			f.errs = token.FieldErrors{}
		}
		f.errs[key] = msg
	}
	label := actionLabel(f.p, action)
	if f.errs != nil {
		f.results = map[string]*views.ActionResult{action: {Summary: label + " needs the fields marked above; fix them and try again."}}
		return s.actionResponse(c, f, action, http.StatusUnprocessableEntity)
	}
	draft := consentDraft{Form: map[string]string{}, Clear: f.in.Clear, Secrets: f.pending.Secrets, Version: f.version, Call: values}
	for k, v := range f.in.Values {
		if fd, _ := f.p.Field(k); !fd.Secret {
			draft.Form[k] = v
		}
	}
	tokenID := f.tokenID()
	if f.tok != nil && draft.Version == 0 {
		draft.Version = f.tok.Version
	}
	to, err := s.consentTrip(c, f.p, scopeOf(c).AppID, tokenID, false, draft)
	var problem consentProblem
	if errors.As(err, &problem) {
		f.results = map[string]*views.ActionResult{action: {Summary: string(problem)}}
		return s.actionResponse(c, f, action, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	s.Logger.Info("oauth consent started", "provider", f.p.ID, "token_id", tokenID, "request_id", requestID(c))
	return s.continueToConsent(c, serviceName(f.p, values), to)
}

// continueToConsent sends the browser from a form to the service. Not by
// a 303: the console's CSP (form-action 'self') rightly stops a form's
// redirect to another site, so the answer is a page that moves on by
// itself (a Refresh header, no script needed) and says where to; htmx is
// told to navigate instead of swapping.
func (s *Server) continueToConsent(c echo.Context, service, to string) error {
	if c.Request().Header.Get("HX-Request") == "true" {
		c.Response().Header().Set("HX-Redirect", to)
		return c.NoContent(http.StatusOK)
	}
	c.Response().Header().Set("Refresh", "0; url="+to)
	return render(c, http.StatusOK, views.ConsentContinue(views.ConsentContinuePage{
		Page: s.page(c, "Continuing to "+service, scopeOf(c).nav()), Service: service, URL: to}))
}

// consentProblem is a reason, for the person, that no trip could start.
type consentProblem string

func (p consentProblem) Error() string { return string(p) }

// consentTrip records a trip to the consent page and returns its URL.
func (s *Server) consentTrip(c echo.Context, p provider.Provider, appID, tokenID int64, reconnect bool, draft consentDraft) (string, error) {
	b := make([]byte, 32)
	rand.Read(b)
	state := base64.RawURLEncoding.EncodeToString(b)
	verifier := oauth2.GenerateVerifier()
	env := s.providerEnv()
	to, err := p.Consent.URL(env, draft.Call, s.redirectURI(), state, verifier)
	if err != nil {
		return "", consentProblem(err.Error())
	}
	if u, err := url.Parse(to); err == nil {
		u.RawQuery, u.Fragment = "", ""
		draft.AuthEndpoint = u.String()
	}
	if tokenID != 0 {
		// Bound to the token itself, not only its id: its list, its kind
		// and its own random key.
		b, err := s.Store.TokenBindingByID(c.Request().Context(), tokenID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && (b.AppID != appID || b.Provider != p.ID)) {
			return "", userError(http.StatusNotFound, "This access token does not exist. It may have been removed.")
		}
		if err != nil {
			return "", err
		}
		draft.TokenKey = b.Key
	}
	plain, err := json.Marshal(draft)
	if err != nil {
		return "", err
	}
	hash := stateHash(state)
	now := s.Now()
	_, err = s.Store.CreateOAuthState(c.Request().Context(), store.OAuthState{
		Hash: hash, UserID: currentUser(c).ID, AppID: appID, Provider: p.ID, TokenID: tokenID, Reconnect: reconnect,
		Draft: s.Box.Seal(plain, draftAAD(hash)), Verifier: s.Box.Seal([]byte(verifier), verifierAAD(hash)),
		CreatedAt: now, ExpiresAt: now.Add(consentTTL), Session: currentSessionRef(c),
	})
	return to, err
}

// formURL is the form a trip returns to.
func formURL(st store.OAuthState) string {
	base := scopeBase(st.AppID)
	if st.TokenID == 0 {
		return base + "/new/" + st.Provider
	}
	return base + "/" + strconv.FormatInt(st.TokenID, 10)
}

// resumeConsent shows the form as it was left, with what the callback
// brought back: the obtained token travels sealed until Save, as any
// button's grant does. ok is false when the request is no return trip.
func (s *Server) resumeConsent(c echo.Context, f *tokenForm) (bool, error) {
	raw := c.QueryParam("oauth")
	if raw == "" || f.p.Consent == nil {
		return false, nil
	}
	id, _ := strconv.ParseInt(raw, 10, 64)
	st, err := s.Store.OAuthResult(c.Request().Context(), id, currentUser(c).ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (st.Provider != f.p.ID || st.TokenID != f.tokenID() || st.AppID != f.sc.AppID)) {
		f.problem = "This sign-in result is no longer available. Press Get OAuth 2.0 Access Token to sign in again."
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var draft consentDraft
	var res consentResult
	plain, err := s.Box.Open(st.Draft, draftAAD(st.Hash))
	if err == nil {
		err = json.Unmarshal(plain, &draft)
	}
	if err == nil {
		if plain, err = s.Box.Open(st.Result, resultAAD(st.Hash)); err == nil {
			err = json.Unmarshal(plain, &res)
		}
	}
	if err != nil {
		return false, fmt.Errorf("oauth: opening a consent result: %w", err)
	}
	in := token.Input{Values: maps.Clone(draft.Form), Clear: draft.Clear}
	if in.Values == nil {
		in.Values = map[string]string{}
	}
	if in.Clear == nil {
		in.Clear = map[string]bool{}
	}
	f.in = &in
	f.pending = pending{Secrets: draft.Secrets, Grant: res.Grant, At: endpointValues(f.p, draft.Call)}
	f.version = draft.Version
	action := consentAction(f.p)
	view := &views.ActionResult{OK: res.Grant != nil, Summary: res.Summary}
	if res.Grant == nil {
		view.Summary = res.Problem
	}
	f.results = map[string]*views.ActionResult{action: view}
	f.returned = action
	return true, nil
}

// consentAction is the button that goes through consent.
func consentAction(p provider.Provider) string {
	for _, fd := range p.Fields {
		if fd.Control == provider.Button {
			return fd.Action
		}
	}
	return ""
}
