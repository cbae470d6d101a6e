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
	kid := strings.TrimSpace(c.FormValue("new_key_id"))
	method := c.FormValue("new_signing_method")
	var current string // the Key ID that keeps signing
	err = s.editKeys(c, t, p, func(values map[string]string) (map[string]string, error) {
		keys, ok := p.PublicKeys(values)
		if !ok {
			return nil, userError(http.StatusBadRequest, "This token signs with a shared secret: it has no key pair to replace.")
		}
		if keys.Next != "" {
			return nil, userError(http.StatusConflict, fmt.Sprintf("A new key pair (%s) is already published and waiting: press “Sign with the new key” first.", truncateRunes(keys.Next, 100)))
		}
		problem := keyIDProblem(kid)
		if problem == "" && p.KeyPublished(values, kid) {
			problem = fmt.Sprintf("The Key ID “%s” is already published; choose one of its own for the new key pair.", kid)
		}
		if problem == "" && method != "" && !slices.ContainsFunc(p.Keys.NewMethods, func(o provider.Option) bool { return o.Value == method }) {
			problem = "Choose " + methodNames(p.Keys.NewMethods) + " for the new key pair."
		}
		if problem != "" {
			return nil, keyProblem(problem)
		}
		current = values[p.Keys.KeyID]
		return p.NewKeyPair(values, kid, method)
	})
	var problem keyProblem
	if errors.As(err, &problem) {
		saved, err := s.visibleValues(c, t, p)
		if err != nil {
			return err
		}
		return s.renderTokenForm(c, http.StatusUnprocessableEntity, &tokenForm{sc: scopeOf(c), p: p, tok: &t, saved: saved, keyErr: string(problem), keyInput: kid})
	}
	if err != nil {
		return err
	}
	k := p.Keys
	s.flash(c, fmt.Sprintf("New key pair under Key ID “%s”: it is published in the JWKS, and the current key (%s) keeps signing. "+
		"Once %s has it (a registered JWKS URL lists it within %s; a public key must be added in %s), press “Sign with the new key”.",
		kid, current, k.Service, k.JWKSCache, k.Where))
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

// keyProblem is a typed Key ID or method a new key pair cannot have: the
// form is shown again with it.
type keyProblem string

func (k keyProblem) Error() string { return string(k) }

// editKeys writes a key edit (a new key pair, one put to use, one retired)
// through the one write path: edit says, from the values the write read
// inside its transaction, which values to set (empty ones are removed), or
// refuses, and then nothing is written.
func (s *Server) editKeys(c echo.Context, t token.Token, p provider.Provider, edit func(values map[string]string) (map[string]string, error)) error {
	_, err := s.Store.EditToken(c.Request().Context(), t.ID, t.Version, currentUser(c).Email, func(cur token.Current) (token.Change, error) {
		return token.KeyEdit(p, cur, edit)
	})
	if errors.Is(err, store.ErrStale) {
		return userError(http.StatusConflict, "Someone saved this token a moment ago; reload the page and try again.")
	}
	return err
}
