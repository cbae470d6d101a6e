package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/token"
	"github.com/tokendesk/tokendesk/views"
)

// actionTimeout bounds a button press; the provider client itself gives
// up after provider.DefaultTimeout.
const actionTimeout = provider.DefaultTimeout + 5*time.Second

// runAction runs one of a provider form's buttons (Get OAuth 2.0 Access
// Token, Test Connection) on the values in the form. It saves nothing: an
// obtained token travels sealed with the form until the person presses Save.
func (s *Server) runAction(c echo.Context, f *tokenForm, action string) error {
	if !s.actionAvailable(f.p, action) {
		return userError(http.StatusBadRequest, "This form has no such button.")
	}
	label := actionLabel(f.p, action)
	f.pending = keepTyped(f.p, *f.in, f.pending)

	// Only the credentials the call needs must be valid; the name can wait.
	f.errs = nil
	for key, msg := range token.Validate(f.p, *f.in, token.SecretsHeld(f.p, f.tok, f.pending.Secrets, f.pending.Grant)) {
		if fd, _ := f.p.Field(key); fd.Required && fd.Credential {
			if f.errs == nil {
				f.errs = token.FieldErrors{}
			}
			f.errs[key] = msg
		}
	}
	if f.errs == nil {
		var err error
		if f.errs, err = s.endpointSecretErrors(c.Request().Context(), f.p, *f.in, f.tok, f.pending); err != nil {
			return err
		}
	}
	if f.errs != nil {
		f.results = map[string]*views.ActionResult{action: {Summary: label + " needs the credentials marked above; fix them and try again."}}
		return s.actionResponse(c, f, action, http.StatusUnprocessableEntity)
	}

	values, err := s.actionValues(c, f)
	if err != nil {
		return err
	}
	// Only obtaining a token goes to the service's consent page; Test
	// Connection tests the token in hand.
	if cs := f.p.Consent; cs != nil && cs.Needed(values) && action != f.p.SaveTest {
		// The authorization code grant: the browser goes to the service.
		return s.startConsent(c, f, action, values)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), actionTimeout)
	defer cancel()
	env := s.providerEnv()
	res := f.p.Actions[action](ctx, env, values)

	// Providers redact what a vendor said where they quote it
	// (provider.Redact); the rest is tokendesk's own wording, shown whole
	// but for any secret of the token, should a quote have missed one.
	secrets := actionSecrets(f.p, values, res.Grant)
	view := &views.ActionResult{OK: res.OK, Summary: hideSecrets(res.Summary, secrets), Warning: hideSecrets(res.Warning, secrets)}
	for _, st := range res.Steps {
		view.Steps = append(view.Steps, views.ActionStep{Text: hideSecrets(st.Text, secrets), OK: st.OK, Duration: formatTook(st.Took)})
	}
	f.results = map[string]*views.ActionResult{action: view}
	if res.Grant != nil {
		f.pending.Grant, f.pending.At = res.Grant, endpointValues(f.p, values)
	}
	attrs := []any{"provider", f.p.ID, "action", action, "ok", res.OK, "request_id", requestID(c)}
	if !res.OK {
		attrs = append(attrs, "problem", view.Summary)
	}
	s.Logger.Info("provider call", attrs...)

	status := http.StatusOK
	if !res.OK {
		status = http.StatusUnprocessableEntity
	}
	return s.actionResponse(c, f, action, status)
}

// actionValues are the form's values, with empty secrets filled from what
// was typed before or is stored: "an empty Secret while editing means the
// stored one".
func (s *Server) actionValues(c echo.Context, f *tokenForm) (map[string]string, error) {
	values := map[string]string{}
	for k, v := range f.in.Values {
		values[k] = v
	}
	var stored map[string]string
	if f.tok != nil {
		var err error
		if stored, err = s.Store.TokenValues(c.Request().Context(), f.tok.ID); err != nil {
			return nil, err
		}
	}
	// A grant obtained at the address the form moves away from (its access
	// token, refresh token, what the service said) is not sent to the new
	// one: the who-am-I is built from the same fields (https://{gitlab_host}/…).
	// The other stored secrets were asked for again (endpointSecretErrors).
	leftBehind := map[string]bool{}
	if stored != nil && token.EndpointMoved(f.p, *f.in, stored) != "" {
		for _, k := range token.GrantKeys(f.p) {
			leftBehind[k] = true
		}
	}
	for _, fd := range f.p.Fields {
		if !fd.Secret || values[fd.Key] != "" {
			continue
		}
		if v, ok := f.pending.Secrets[fd.Key]; ok {
			values[fd.Key] = v
			continue
		}
		if f.tok != nil && !f.in.Clear[fd.Key] && !leftBehind[fd.Key] {
			values[fd.Key] = stored[fd.Key]
		}
	}
	// Values tokendesk keeps itself (a generated key pair) have no field:
	// a saved token's buttons use the stored ones.
	if f.tok != nil && f.p.Generate != nil {
		for k, v := range stored {
			if !f.p.Has(k) && !leftBehind[k] {
				values[k] = v
			}
		}
	}
	// A token obtained but not saved yet is the one a Test Connection
	// tests, with what the service said about using it (api_url).
	if g := f.pending.Grant; g != nil && f.p.Tokens.Access != "" && !f.in.Clear[f.p.Tokens.Access] && f.in.Values[f.p.Tokens.Access] == "" {
		values[f.p.Tokens.Access] = g.AccessToken
		for k, v := range g.Extra {
			values[k] = v
		}
	}
	return values, nil
}

// actionResponse answers a button press: the whole form without
// JavaScript, or just the result (and what it changed) for htmx.
func (s *Server) actionResponse(c echo.Context, f *tokenForm, action string, status int) error {
	if c.Request().Header.Get("HX-Request") != "true" {
		return s.renderTokenForm(c, status, f)
	}
	m := views.ActionFragment{Action: action, Result: *f.results[action], Pending: s.sealPending(c, f.p, f.tokenID(), f.pending)}
	for _, fv := range s.fields(f) {
		if fv.Error != "" || (f.pending.Grant != nil && fv.Key == f.p.Tokens.Access) {
			m.Fields = append(m.Fields, fv)
		}
	}
	// htmx swaps only 2xx answers; the outcome is in the fragment itself.
	return render(c, http.StatusOK, views.ActionOOB(m))
}

func (f *tokenForm) tokenID() int64 {
	if f.tok == nil {
		return 0
	}
	return f.tok.ID
}

func actionLabel(p provider.Provider, action string) string {
	for _, fd := range p.Fields {
		if fd.Action == action {
			return fd.Label
		}
	}
	return action
}

func formatTook(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
