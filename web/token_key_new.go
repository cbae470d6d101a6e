package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
)

// newKeyPair is "New key pair": a fresh key pair signs from now on, under
// a new Key ID, and the old one stays in the JWKS until it is retired, so
// that rotating the key is not an outage.
func (s *Server) newKeyPair(c echo.Context) error {
	t, p, err := s.tokenParam(c)
	if err != nil {
		return err
	}
	if p.NewKeyPair == nil || p.PublicKeys == nil {
		return userError(http.StatusBadRequest, "This kind of token has no key pair.")
	}
	ctx := c.Request().Context()
	values, err := s.Store.TokenValues(ctx, t.ID)
	if err != nil {
		return err
	}
	keys, ok := p.PublicKeys(values)
	if !ok {
		return userError(http.StatusBadRequest, "This token signs with a shared secret: it has no key pair to replace.")
	}
	kid := strings.TrimSpace(c.FormValue("new_key_id"))
	problem := keyIDProblem(kid)
	if problem == "" && (kid == values["key_id"] || slices.Contains(keys.Previous, kid)) {
		problem = fmt.Sprintf("The Key ID “%s” is already published; choose one of its own for the new key pair.", kid)
	}
	if problem != "" {
		saved, err := s.visibleValues(c, t, p)
		if err != nil {
			return err
		}
		return s.renderTokenForm(c, http.StatusUnprocessableEntity, &tokenForm{sc: scopeOf(c), p: p, tok: &t, saved: saved, keyErr: problem, keyInput: kid})
	}
	set, err := p.NewKeyPair(values, kid)
	if err != nil {
		return err
	}
	if err := s.saveKeyValues(c, t, p, set); err != nil {
		return err
	}
	s.flash(c, fmt.Sprintf("New key pair under Key ID “%s”: it signs from now on. Register it in the Redox dashboard (a registered JWKS URL already lists it); "+
		"the previous key (%s) stays in the JWKS until you retire it.", kid, values["key_id"]))
	return c.Redirect(http.StatusSeeOther, scopeOf(c).tokenURL(t.ID))
}

// keyIDProblem says what is wrong with a typed Key ID, if anything.
func keyIDProblem(kid string) string {
	switch {
	case kid == "":
		return "Enter the Key ID for the new key pair."
	case !utf8.ValidString(kid):
		return "The Key ID contains bytes that are not text; type it again."
	case utf8.RuneCountInString(kid) > 256:
		return "The Key ID can be at most 256 characters."
	case strings.IndexFunc(kid, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return "The Key ID cannot contain spaces or control characters."
	}
	return ""
}

// saveKeyValues stores key values as an edit of the token (versioned and
// audited by field name); empty values are removed.
func (s *Server) saveKeyValues(c echo.Context, t token.Token, p provider.Provider, set map[string]string) error {
	_, _, err := s.Store.UpdateToken(c.Request().Context(), t.ID, t.Version, token.KeyValues(p, t, set), currentUser(c).Email)
	if errors.Is(err, store.ErrStale) {
		return userError(http.StatusConflict, "Someone saved this token a moment ago; reload the page and try again.")
	}
	return err
}
