package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
)

// retireKey stops publishing an earlier key pair in the token's JWKS.
func (s *Server) retireKey(c echo.Context) error {
	t, p, err := s.tokenParam(c)
	if err != nil {
		return err
	}
	if !p.CanRotate() {
		return userError(http.StatusBadRequest, "This kind of token has no key pair.")
	}
	kid := c.FormValue("kid")
	err = s.editKeys(c, t, p, func(values map[string]string) (map[string]string, error) {
		set, ok := p.RetireKey(values, kid)
		if !ok {
			return nil, userError(http.StatusNotFound, "This token publishes no earlier key under that Key ID; it may have been retired already.")
		}
		return set, nil
	})
	if err != nil {
		return err
	}
	s.flash(c, fmt.Sprintf("Retired the key “%s”: it is no longer in the JWKS.", truncateRunes(kid, 100)))
	return c.Redirect(http.StatusSeeOther, scopeOf(c).tokenURL(t.ID))
}
