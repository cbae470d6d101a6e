package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
)

// newKeyPair is "New key pair": a fresh key pair under a new Key ID is
// published in the JWKS beside the current one, which keeps signing until
// the administrator presses "Sign with the new key" (useNewKey), so that
// rotating the key is not an outage.
func (s *Server) newKeyPair(c echo.Context) error {
	t, p, err := s.tokenParam(c)
	if err != nil {
		return err
	}
	if p.NewKeyPair == nil || p.PublicKeys == nil || p.KeyPublished == nil {
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
	if keys.Next != "" {
		return userError(http.StatusConflict, fmt.Sprintf("A new key pair (%s) is already published and waiting: press “Sign with the new key” first.", truncateRunes(keys.Next, 100)))
	}
	kid := strings.TrimSpace(c.FormValue("new_key_id"))
	method := c.FormValue("new_signing_method")
	problem := keyIDProblem(kid)
	if problem == "" && p.KeyPublished(values, kid) {
		problem = fmt.Sprintf("The Key ID “%s” is already published; choose one of its own for the new key pair.", kid)
	}
	if problem == "" && method != "" && method != "rs384" && method != "es384" {
		problem = "Choose RS384 or ES384 for the new key pair."
	}
	if problem != "" {
		saved, err := s.visibleValues(c, t, p)
		if err != nil {
			return err
		}
		return s.renderTokenForm(c, http.StatusUnprocessableEntity, &tokenForm{sc: scopeOf(c), p: p, tok: &t, saved: saved, keyErr: problem, keyInput: kid})
	}
	set, err := p.NewKeyPair(values, kid, method)
	if err != nil {
		return err
	}
	if err := s.saveKeyValues(c, t, p, values, set); err != nil {
		return err
	}
	s.flash(c, fmt.Sprintf("New key pair under Key ID “%s”: it is published in the JWKS, and the current key (%s) keeps signing. "+
		"Once Redox has it (a registered JWKS URL lists it within 5 minutes; a public key must be added in the Redox dashboard), press “Sign with the new key”.", kid, values["key_id"]))
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
func (s *Server) saveKeyValues(c echo.Context, t token.Token, p provider.Provider, stored, set map[string]string) error {
	_, _, err := s.Store.UpdateToken(c.Request().Context(), t.ID, t.Version, token.KeyValues(p, t, stored, set), currentUser(c).Email)
	if errors.Is(err, store.ErrStale) {
		return userError(http.StatusConflict, "Someone saved this token a moment ago; reload the page and try again.")
	}
	return err
}
