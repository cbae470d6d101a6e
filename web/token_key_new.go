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

// newKeyPair is "New key pair": a fresh key pair under a new Key ID is
// published in the JWKS beside the current one, which keeps signing until
// the administrator presses "Sign with the new key" (useNewKey), so that
// rotating the key is not an outage.
func (s *Server) newKeyPair(c echo.Context) error {
	t, p, err := s.tokenParam(c)
	if err != nil {
		return err
	}
	if !p.CanRotate() {
		return userError(http.StatusBadRequest, "This kind of token has no key pair to replace here.")
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
	if problem == "" && method != "" && !slices.ContainsFunc(p.Keys.NewMethods, func(o provider.Option) bool { return o.Value == method }) {
		problem = "Choose " + methodNames(p.Keys.NewMethods) + " for the new key pair."
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
	k := p.Keys
	s.flash(c, fmt.Sprintf("New key pair under Key ID “%s”: it is published in the JWKS, and the current key (%s) keeps signing. "+
		"Once %s has it (a registered JWKS URL lists it within %s; a public key must be added in %s), press “Sign with the new key”.",
		kid, values[k.KeyID], k.Service, k.JWKSCache, k.Where))
	return c.Redirect(http.StatusSeeOther, scopeOf(c).tokenURL(t.ID))
}

// methodNames lists the new key pair's methods as a person reads them:
// "RS384 or ES384" (each label's first word).
func methodNames(opts []provider.Option) string {
	var names []string
	for _, o := range opts {
		names = append(names, strings.Fields(o.Label)[0])
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
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
