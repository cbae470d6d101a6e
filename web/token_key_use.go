package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
)

// useNewKey is "Sign with the new key": the key pair published by "New key
// pair" signs from now on; the one it replaces stays in the JWKS until it
// is retired.
func (s *Server) useNewKey(c echo.Context) error {
	t, p, err := s.tokenParam(c)
	if err != nil {
		return err
	}
	if !p.CanRotate() {
		return userError(http.StatusBadRequest, "This kind of token has no key pair.")
	}
	values, err := s.Store.TokenValues(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	set, ok := p.UseNewKey(values)
	if !ok {
		return userError(http.StatusNotFound, "No new key pair is waiting to sign; it may have been switched to already.")
	}
	if err := s.saveKeyValues(c, t, p, values, set); err != nil {
		return err
	}
	s.flash(c, fmt.Sprintf("The key “%s” signs from now on. The previous key (%s) stays in the JWKS until you retire it.",
		truncateRunes(set[p.Keys.KeyID], 100), truncateRunes(values[p.Keys.KeyID], 100)))
	return c.Redirect(http.StatusSeeOther, scopeOf(c).tokenURL(t.ID))
}
