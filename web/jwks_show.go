package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
)

// showJWKS publishes a token's public keys as a JWKS document, for the
// provider to fetch (Redox's dashboard takes a JWKS URL). It is public and
// read-only: the document is kept as written when the keys last changed,
// so an anonymous request decrypts nothing, and the random slug in its URL
// belongs to one token for ever.
func (s *Server) showJWKS(c echo.Context) error {
	slug, ok := strings.CutSuffix(c.Param("id"), ".json")
	if !ok || slug == "" || len(slug) > 64 {
		return userError(http.StatusNotFound, "No key set here.")
	}
	set, err := s.Store.JWKSBySlug(c.Request().Context(), slug)
	if errors.Is(err, store.ErrNotFound) {
		return userError(http.StatusNotFound, "No key set here.")
	}
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("ETag", set.ETag)
	if c.Request().Header.Get("If-None-Match") == set.ETag {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, "application/jwk-set+json", set.Document)
}
