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
	var now, before string // the Key IDs that signs from now on, and before
	err = s.editKeys(c, t, p, func(values map[string]string) (map[string]string, error) {
		set, ok := p.UseNewKey(values)
		if !ok {
			return nil, userError(http.StatusNotFound, "No new key pair is waiting to sign; it may have been switched to already.")
		}
		now, before = set[p.Keys.KeyID], values[p.Keys.KeyID]
		return set, nil
	})
	if err != nil {
		return err
	}
	s.flash(c, fmt.Sprintf("The key “%s” signs from now on. The previous key (%s) stays in the JWKS until you retire it.",
		truncateRunes(now, 100), truncateRunes(before, 100)))
	return c.Redirect(http.StatusSeeOther, scopeOf(c).tokenURL(t.ID))
}
