package token

import (
	"maps"
	"slices"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// Import is one token definition read from an export file, normalised as
// a submitted form would be (its secrets, if the file carried them, among
// Input's values).
type Import struct {
	Input Input
	AppID int64
	// AllowPlain: the importing person may store values unencrypted; as
	// with a form, the file's Encrypt is honoured only then.
	AllowPlain bool
	// Kept are the values tokendesk keeps itself (provider.Provider.Kept:
	// a key pair), from an export with secrets; empty otherwise.
	Kept map[string]string
}

// FromImport turns an imported definition into the change it asks for:
// a new token, or (stored not nil) the replacement of a token's
// definition. It follows FromForm's rules, so a secret the file does not
// carry keeps the stored one, and an obtained access token is never
// imported. Kept values replace the token's own key state whole. A token
// that still lacks a required secret is not scheduled for renewal (every
// renewal would fail) until someone enters it.
//
// A replacement that points the token at another address (an Endpoint
// field, such as the Token URL) drops the stored secrets the file does not
// carry and the refresh token, as the form does: they are only ever sent
// to the address they were saved with. That is decided here, before the
// missing secrets are counted, so such a token says "Needs secret" and is
// not scheduled.
func FromImport(p provider.Provider, im Import, stored func() (map[string]string, error)) (Change, error) {
	values := map[string]string{}
	var moved []string // stored secrets left behind at the old address
	dropped := false   // one of them a secret a person entered (not the refresh token)
	label := ""        // the moved address, when it dropped the access token
	if stored != nil {
		old, err := stored()
		if err != nil {
			return Change{}, err
		}
		maps.Copy(values, old)
		if endpointChanged(p, im.Input, old) {
			for _, k := range SecretsLeftBehind(p, im.Input, func(k string) bool { return old[k] != "" }) {
				moved = append(moved, k)
				delete(values, k)
				dropped = true
			}
			// The grant obtained at the old address (refresh and access
			// token, what the service said with them) stays behind too; an
			// import never carries an access token.
			in := im.Input
			if a := p.Tokens.Access; a != "" {
				in.Values = maps.Clone(in.Values)
				delete(in.Values, a)
			}
			for _, k := range grantLeftBehind(p, in, old) {
				moved = append(moved, k)
				delete(values, k)
				if k == p.Tokens.Access {
					label = EndpointMoved(p, im.Input, old)
				}
			}
		}
	}
	var drop []string
	if len(im.Kept) > 0 {
		for _, k := range p.Kept {
			if _, ok := im.Kept[k]; !ok {
				if _, had := values[k]; had {
					drop = append(drop, k)
				}
				delete(values, k)
			}
		}
		maps.Copy(values, im.Kept)
	}
	in := im.Input
	in.Values = maps.Clone(in.Values)
	if a := p.Tokens.Access; a != "" {
		delete(in.Values, a) // never from a file: obtained tokens are not exported
	}
	ch, err := FromForm(p, Form{Input: in, AppID: im.AppID, AllowPlain: im.AllowPlain}, func() (map[string]string, error) { return values, nil })
	if err != nil {
		return Change{}, err
	}
	for _, k := range slices.Sorted(maps.Keys(im.Kept)) {
		if _, set := ch.Set[k]; !set && slices.Contains(p.Kept, k) {
			ch.Set[k] = im.Kept[k]
		}
	}
	for _, k := range moved {
		delete(ch.Set, k)
	}
	ch.Clear = append(ch.Clear, drop...)
	ch.Clear = append(ch.Clear, moved...)
	ch.Moved = label
	// A secret dropped for the new address is needed again even where the
	// provider does not require one (a generic client's Client Secret): the
	// token used it, as the form's "Enter the Client Secret again" says.
	if dropped || len(MissingSecrets(p, in, values)) > 0 {
		ch.Renewable = false
		ch.NeedsSecret = true
	}
	return ch, nil
}

// SecretsLeftBehind names, in screen order, the stored secrets (stored
// says which fields hold one; the access token aside, which goes with the
// grant) that a definition in moving its token to another address leaves
// behind: those in does not give anew. They are only ever sent to the
// address they were saved with.
func SecretsLeftBehind(p provider.Provider, in Input, stored func(key string) bool) []string {
	var out []string
	for _, fd := range p.Fields {
		if fd.Secret && fd.Key != p.Tokens.Access && in.Values[fd.Key] == "" && stored(fd.Key) {
			out = append(out, fd.Key)
		}
	}
	return out
}

// MissingSecrets names, in screen order, the required secret fields
// (required outright, or by another field's value) that neither the input
// nor held gives a value.
func MissingSecrets(p provider.Provider, in Input, held map[string]string) []string {
	var out []string
	for _, f := range p.Fields {
		if !f.Secret || f.Key == p.Tokens.Access {
			continue
		}
		required := f.Required
		if c := f.RequiredWhen; c != nil && in.Values[c.Key] == c.Value {
			required = true
		}
		if required && in.Values[f.Key] == "" && held[f.Key] == "" {
			out = append(out, f.Key)
		}
	}
	return out
}
