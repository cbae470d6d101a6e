package token

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"unicode/utf8"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// The decision steps: what a form's save, an import, a grant and a key
// edit do to a token, decided here from the token as its write
// transaction read it (Current: its row and its values, opened once,
// under lock). The store reads Current, calls one of them, and persists
// the Change it returns; nothing else edits a Change on its way.

// Current is a saved token as the transaction that writes it read it:
// its row and its stored values, decrypted.
type Current struct {
	Token  Token
	Values map[string]string
}

// Refused is a decision that the submitted input cannot be saved as it
// stands: the messages go next to the fields, and nothing is written.
type Refused struct{ Errs FieldErrors }

func (r *Refused) Error() string {
	return fmt.Sprintf("token: %d fields refused", len(r.Errs))
}

// RefusedFields are the field messages of a Refused decision (nil for
// any other error).
func RefusedFields(err error) FieldErrors {
	var r *Refused
	if errors.As(err, &r) {
		return r.Errs
	}
	return nil
}

// Save is the change a submitted form makes: to the saved token cur, or
// (cur nil) as a new token. It refuses an edit that would send a stored
// secret to another address or replace a registered key pair in place,
// and drops the stored grant (refresh and access token, what the service
// answered with them) of an address that changed.
func Save(p provider.Provider, f Form, cur *Current) (Change, error) {
	var stored map[string]string
	if cur != nil {
		stored = cur.Values
		// One concern at a time: a key pair's fields, then the address.
		if errs := KeyFieldErrors(p, f.Input, stored); errs != nil {
			return Change{}, &Refused{errs}
		}
		if errs := EndpointSecretErrors(p, f.Input, f.Kept, stored); errs != nil {
			return Change{}, &Refused{errs}
		}
	}
	ch, err := fromForm(p, f, stored, cur != nil)
	if err != nil {
		return Change{}, err
	}
	if cur != nil && f.Grant == nil {
		if label := EndpointMoved(p, f.Input, stored); label != "" {
			// The stored grant (refresh token, access token and what the
			// service said with it) belongs to the old address: it is never
			// sent to the new one.
			ch.Clear = append(ch.Clear, grantLeftBehind(p, f.Input, stored)...)
			if a := p.Tokens.Access; a != "" && slices.Contains(ch.Clear, a) {
				ch.Moved = label
			}
		}
	}
	return ch, nil
}

// GrantKeys names the values a grant obtained at a token's address
// brings: the refresh token, the access token and the values the service
// answered with it (an api_url, a realm) that are no field of the form.
func GrantKeys(p provider.Provider) []string {
	var out []string
	for _, k := range append([]string{p.Tokens.Refresh, p.Tokens.Access}, p.Tokens.Answer...) {
		if k != "" && (k == p.Tokens.Access || !p.Has(k)) {
			out = append(out, k)
		}
	}
	return out
}

// grantLeftBehind names the stored values of a grant obtained at the
// address in moves away from, which must not follow it there (GrantKeys;
// the refresh token always, the access token unless in types a new one).
// A who-am-I address is built from the same fields as the Token URL
// (https://{gitlab_host}/…): an access token kept would be sent to
// whatever host was typed.
func grantLeftBehind(p provider.Provider, in Input, stored map[string]string) []string {
	var out []string
	for _, k := range GrantKeys(p) {
		switch {
		case k == p.Tokens.Refresh:
			out = append(out, k)
		case k == p.Tokens.Access:
			if in.Values[k] == "" && !in.Clear[k] && stored[k] != "" {
				out = append(out, k)
			}
		default:
			if _, ok := stored[k]; ok {
				out = append(out, k)
			}
		}
	}
	return out
}

// A grant obtained for the saved token outside its form (the renewal
// worker, Renew now, an OAuth callback) is decided by FromGrant, and what
// it does to the renewal state by AfterGrant.

// KeyEdit is the change a key edit (a new key pair, one put to use, one
// retired) makes to the saved token cur: edit says, from the values the
// write read, which values the provider keeps itself to set (empty ones
// are removed); an error from edit refuses the key edit and nothing is
// written. A key edit's handler reads no values itself: it passes edit
// to store.EditToken, whose decision calls this.
func KeyEdit(p provider.Provider, cur Current, edit func(values map[string]string) (map[string]string, error)) (Change, error) {
	set, err := edit(maps.Clone(cur.Values))
	if err != nil {
		return Change{}, err
	}
	return KeyValues(p, cur.Token, cur.Values, set), nil
}

// ImportReplace is the change an imported definition makes to the saved
// token cur it replaces (FromImport's rules).
func ImportReplace(p provider.Provider, im Import, cur Current) (Change, error) {
	return FromImport(p, im, func() (map[string]string, error) { return cur.Values, nil })
}

// EndpointMoved is the label of the first Endpoint field (an address the
// secrets are sent to, such as the Token URL) that in moves away from
// its stored value; "" when none does. A saved token's secrets and grant
// are sent only to the address they were saved with: otherwise anyone
// allowed to edit a token, though never to read its secrets, could point
// it at a server of their own and receive them.
//
// An Endpoint with no stored value (a token saved before the field
// existed, such as a Generic OAuth token without an API Base URL) moves
// when one is typed: its secrets were never sent there. A select that
// reads a missing value as its default does not move to that default.
func EndpointMoved(p provider.Provider, in Input, stored map[string]string) string {
	for _, fd := range p.Fields {
		if !fd.Endpoint {
			continue
		}
		typed := in.Values[fd.Key]
		old, ok := stored[fd.Key]
		if !ok && fd.DefaultWhenMissing && typed == fd.Default {
			continue
		}
		if old != typed {
			return fd.Label
		}
	}
	return ""
}

// endpointChanged says whether in moves any Endpoint field of a saved
// token away from its stored value.
func endpointChanged(p provider.Provider, in Input, stored map[string]string) bool {
	return EndpointMoved(p, in, stored) != ""
}

// EndpointSecretErrors asks for the stored secrets again when in moves an
// Endpoint: a secret typed now (or before, kept) is fine, a stored one is
// not sent to the new address.
func EndpointSecretErrors(p provider.Provider, in Input, kept, stored map[string]string) FieldErrors {
	label := EndpointMoved(p, in, stored)
	if label == "" {
		return nil
	}
	var errs FieldErrors
	for _, k := range SecretsLeftBehind(p, in, func(k string) bool { return stored[k] != "" && kept[k] == "" && !in.Clear[k] }) {
		if errs == nil {
			errs = FieldErrors{}
		}
		errs[k] = "Enter the " + p.Label(k) + " again: the " + label + " changed, and a stored secret is only sent to the address it was saved with."
	}
	return errs
}

// KeyFieldErrors checks an edit of a token's Key ID and Signing Method
// against the keys it publishes (stored): a key pair registered at the
// provider is never replaced in place (that is an outage: the new key
// signs before anyone registered it), and no Key ID names two different
// keys.
func KeyFieldErrors(p provider.Provider, in Input, stored map[string]string) FieldErrors {
	if p.Keys == nil || p.KeyPublished == nil || p.PublicKeys == nil || stored == nil {
		return nil
	}
	keyID, methodKey := p.Keys.KeyID, p.Keys.Method
	kid, method := in.Values[keyID], in.Values[methodKey]
	errs := FieldErrors{}
	if _, hasPair := p.PublicKeys(stored); hasPair {
		const how = "Use “New key pair” below instead: the new key is published in the JWKS beside the current one, which keeps signing until you press “Sign with the new key”."
		if kid != stored[keyID] {
			if p.KeyPublished(stored, kid) {
				errs[keyID] = fmt.Sprintf("The Key ID “%s” is already published in this token's JWKS for another key. %s", truncate(kid, 100), how)
			} else {
				errs[keyID] = fmt.Sprintf("Changing the Key ID here would sign with an unregistered key at once (keep “%s”). %s", truncate(stored[keyID], 100), how)
			}
		}
		// A shared-secret method (Redox's HS384) replaces no key pair.
		if methodKey != "" && method != stored[methodKey] && method != p.Keys.SharedMethod {
			errs[methodKey] = "Changing the Signing Method here would replace the registered key pair at once. " + how
		}
	} else if kid != stored[keyID] && p.KeyPublished(stored, kid) {
		errs[keyID] = fmt.Sprintf("The Key ID “%s” is already published in this token's JWKS for another key; choose one of its own.", truncate(kid, 100))
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// truncate shortens s to n runes for a message, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// hasKeyPair says whether a token holding values keeps a key pair to
// register at the provider.
func hasKeyPair(p provider.Provider, values map[string]string) bool {
	if p.PublicKeys == nil {
		return false
	}
	_, ok := p.PublicKeys(values)
	return ok
}
