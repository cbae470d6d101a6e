package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/store"
)

// showJWKS publishes a token's public key as a JWKS document, for the
// provider to fetch (Redox's dashboard takes a JWKS URL). It is public and
// read-only, and it holds nothing but public keys.
func (s *Server) showJWKS(c echo.Context) error {
	notFound := userError(http.StatusNotFound, "No key set here.")
	id, err := strconv.ParseInt(strings.TrimSuffix(c.Param("id"), ".json"), 10, 64)
	if err != nil || id <= 0 {
		return notFound
	}
	t, err := s.Store.TokenByID(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound
	}
	if err != nil {
		return err
	}
	p, ok := registry.ByID(t.Provider)
	if !ok || p.PublicKeys == nil {
		return notFound
	}
	values, err := s.Store.TokenValues(c.Request().Context(), id)
	if err != nil {
		return err
	}
	keys, ok := p.PublicKeys(values)
	if !ok {
		return notFound
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, "application/jwk-set+json", keys.JWKS)
}
