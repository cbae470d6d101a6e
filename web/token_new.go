package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
	"github.com/tokendesk/tokendesk/views"
)

// newToken shows a provider's empty form with its documented defaults.
func (s *Server) newToken(c echo.Context) error {
	p, err := providerParam(c)
	if err != nil {
		return err
	}
	f := &tokenForm{p: p, sc: scopeOf(c)}
	if _, err := s.resumeConsent(c, f); err != nil {
		return err
	}
	return s.renderTokenForm(c, http.StatusOK, f)
}

func providerParam(c echo.Context) (provider.Provider, error) {
	p, ok := registry.ByID(c.Param("provider"))
	if !ok {
		return p, userError(http.StatusNotFound, "There is no such kind of access token. Choose one from Add Token.")
	}
	return p, nil
}

// renderTokenForm shows the add or edit form of f.
func (s *Server) renderTokenForm(c echo.Context, status int, f *tokenForm) error {
	heading := f.p.Name + " Access Token"
	m := views.TokenFormPage{
		Summary:   f.p.Summary,
		Notice:    f.p.Notice,
		Fields:    s.fields(f),
		Problem:   f.problem,
		CancelURL: f.sc.Base,
	}
	var tokenID int64
	m.PostURL = f.postURL()
	if f.tok == nil {
		m.Page = s.page(c, heading, f.sc.nav(), append(f.sc.crumbs(),
			views.Crumb{Label: "Add Token", URL: f.sc.Base + "/new"}, views.Crumb{Label: f.p.Name})...)
	} else {
		heading = "Edit " + heading
		tokenID = f.tok.ID
		m.DeleteURL = f.sc.Base + "/remove?id=" + strconv.FormatInt(f.tok.ID, 10)
		m.Version = f.version
		if m.Version == 0 {
			m.Version = f.tok.Version
		}
		m.Page = s.page(c, heading, f.sc.nav(), append(f.sc.crumbs(), views.Crumb{Label: f.tok.Name})...)
		if f.p.Renew != nil {
			m.Renewal = s.renewalState(*f.tok, f.sc)
			at, by, err := s.Store.Rejection(c.Request().Context(), f.tok.ID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if !at.IsZero() {
				m.Renewal.Rejected = fmt.Sprintf("An app reported this token refused at %s (API client “%s”).", views.When(at), by)
			}
		}
		if f.sc.App == nil {
			m.PermissionsURL = f.sc.tokenURL(f.tok.ID) + "/permissions"
		}
		m.Usage = s.tokenUsage(c, f.sc, f.tok.Name)
	}
	if f.tok != nil {
		kp, err := s.keyPair(c.Request().Context(), f.p, f.tok.ID)
		if err != nil {
			return err
		}
		if kp != nil {
			kp.CSRF, kp.NewURL, kp.RetireURL = m.CSRF, f.sc.tokenURL(f.tok.ID)+"/keys", f.sc.tokenURL(f.tok.ID)+"/keys/retire"
			kp.NewKeyID, kp.Error = f.keyInput, f.keyErr
			if kp.CertificatePEM != "" {
				kp.CertificateURL = f.sc.tokenURL(f.tok.ID) + "/certificate.cer"
			}
			if kp.Awaiting && m.Renewal != nil {
				// The status stays the list's (token.Status: "Not connected
				// yet" until a first token); the schedule says what it waits for.
				m.Renewal.NextRenewal = keyAwaitingStatus(f.p.Keys) + ": not scheduled until " + f.p.Keys.Service + " accepts the key"
			}
		}
		m.KeyPair = kp
	}
	if r := f.results[f.returned]; r != nil {
		// The page opens at its top, far above the button.
		m.Returned, m.ReturnedAction = r, f.returned
	}
	m.Heading = heading
	m.Pending = s.sealPending(c, f.p, tokenID, f.pending)
	return render(c, status, views.TokenForm(m))
}

// renewalState is what the token's page says about its renewals.
func (s *Server) renewalState(t token.Token, sc scope) *views.RenewalState {
	r := &views.RenewalState{
		Status:      token.Status(t.Rate, t.Renewal, s.Now()),
		LastRenewed: views.When(t.LastRenewedAt),
		NextRenewal: views.When(t.NextRenewalAt),
		Expires:     views.When(t.ExpiresAt),
		RenewURL:    sc.tokenURL(t.ID) + "/renew",
	}
	if t.LastRenewedAt.IsZero() {
		r.LastRenewed = "Never"
	}
	if t.NextRenewalAt.IsZero() {
		r.NextRenewal = "Not scheduled (Renewal Rate is Disabled)"
	}
	if r.Status == token.StatusAttention {
		r.NextRenewal = "Stopped at " + views.When(t.AttentionSince) + " after renewals failed for 3 days. Fix the credentials and Save, or press Renew now, to start again."
	}
	if t.ExpiresAt.IsZero() {
		r.Expires = "Unknown"
	}
	if !t.RefreshExpiresAt.IsZero() {
		r.RefreshExpires = views.When(t.RefreshExpiresAt)
	}
	if p, ok := registry.ByID(t.Provider); ok && p.Consent != nil && (t.NeedsReconnect || token.ReconnectWithin(t.RefreshExpiresAt, s.Now()) != "") {
		r.ReconnectURL = sc.tokenURL(t.ID) + "/reconnect"
	}
	if t.NeedsReconnect {
		r.NextRenewal = "Not scheduled until the token is reconnected"
	}
	if t.LastError != "" {
		r.LastError = fmt.Sprintf("%s (%s; %s in a row)", t.LastError, views.When(t.LastErrorAt), views.Plural(t.Failures, "failed attempt", "failed attempts"))
	}
	if s.Renewer == nil {
		r.RenewURL = ""
	}
	// The plain times are shown in the reader's own time zone too.
	for _, m := range []struct {
		text string
		at   time.Time
		to   *time.Time
	}{{r.LastRenewed, t.LastRenewedAt, &r.LastRenewedAt}, {r.NextRenewal, t.NextRenewalAt, &r.NextRenewalAt},
		{r.Expires, t.ExpiresAt, &r.ExpiresAt}, {r.RefreshExpires, t.RefreshExpiresAt, &r.RefreshExpiresAt}} {
		if !m.at.IsZero() && m.text == views.When(m.at) {
			*m.to = m.at
		}
	}
	return r
}
