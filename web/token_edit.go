package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
)

// editToken reopens a token's typed form. Secrets are never shown: only
// that they are stored, when and by whom.
func (s *Server) editToken(c echo.Context) error {
	t, p, err := s.tokenParam(c)
	if err != nil {
		return err
	}
	saved, err := s.visibleValues(c, t, p)
	if err != nil {
		return err
	}
	f := &tokenForm{sc: scopeOf(c), p: p, tok: &t, saved: saved}
	if _, err := s.resumeConsent(c, f); err != nil {
		return err
	}
	return s.renderTokenForm(c, http.StatusOK, f)
}

// tokenParam loads the :id token of the request's scope.
func (s *Server) tokenParam(c echo.Context) (token.Token, provider.Provider, error) {
	notFound := userError(http.StatusNotFound, "This access token does not exist. It may have been removed.")
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return token.Token{}, provider.Provider{}, notFound
	}
	t, err := s.Store.TokenByID(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.AppID != scopeOf(c).AppID) {
		return t, provider.Provider{}, notFound
	}
	if err != nil {
		return t, provider.Provider{}, err
	}
	p, ok := registry.ByID(t.Provider)
	if !ok {
		return t, p, userError(http.StatusNotFound, "This access token is of a type this server no longer knows ("+t.Provider+").")
	}
	return t, p, nil
}

// visibleValues returns the stored values of the token's non-secret fields.
func (s *Server) visibleValues(c echo.Context, t token.Token, p provider.Provider) (map[string]string, error) {
	all, err := s.Store.TokenValues(c.Request().Context(), t.ID)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, f := range p.Fields {
		if !f.Secret && !provider.Common(f.Key) {
			out[f.Key] = all[f.Key]
		}
	}
	return out, nil
}
