package token

import (
	"maps"
	"slices"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// Change is one change to a token, whatever asked for it (a saved form, a
// button's grant, a renewal, a key rotation): the store applies it in one
// transaction through one path. Only this package decides what goes in
// one (here and in the decision steps of decide.go, which the store calls
// with the token as its write read it), so the rules of an obtained or a
// hand-typed access token live here and nowhere else; nothing edits a
// Change after it is decided.
type Change struct {
	// The token's own settings. A renewal keeps them as they are (the
	// store ignores them there); every other change states them all.
	AppID       int64 // 0: global
	Provider    string
	Name        string
	Description string
	Encrypted   bool
	Rate        string

	// Set holds values to store (credentials, settings, an obtained grant).
	Set map[string]string
	// Clear names stored values a person asked to remove.
	Clear []string
	// Forget names stored values that no longer apply because of this
	// change (the refresh token of a grant whose access token was replaced
	// by hand). They are removed without counting as a person's change.
	Forget []string
	// Grant is an access token just obtained from the provider: its expiry
	// is recorded and the token counts as renewed now.
	Grant *provider.Grant
	// ForgetExpiry drops the recorded expiry: the access token was typed or
	// cleared by hand, and nothing says when a typed one expires (the store
	// then takes it to expire Lifetime from now).
	ForgetExpiry bool
	// Lifetime is how long an access token this change leaves without an
	// expiry of its own (typed by hand) lives from now: what the provider
	// declares for the token's values (provider.Provider.AssumedLifetime);
	// zero is AssumedLifetime. See Expiry.
	Lifetime time.Duration
	// Renewable says the provider can renew the token; only then is it scheduled.
	Renewable bool
	// NeedsSecret: the token lacks a required secret (imported without
	// it): "Needs secret" until a person enters it. Stated by every change
	// that states the token's settings (a form's is always complete).
	NeedsSecret bool
	// Publish says the token's published key set changed (a key pair was
	// made, rotated or retired): the store writes Published, the public
	// JWKS document (empty when the token publishes no key), beside it.
	Publish   bool
	Published []byte
	// NewKeyPair: the change makes the token's first key pair, which must
	// be registered at the provider before the token works (the console
	// then shows it). Nothing is stored for it.
	NewKeyPair bool
	// Moved is the label of the address (an Endpoint field) whose change
	// dropped the stored access token: a new one must be obtained there.
	Moved string
}

// Expiry is when the access token the change stores, applied at now,
// expires: as its grant said, else Lifetime from now. An unknown expiry is
// never "for ever".
func (ch Change) Expiry(now time.Time) time.Time {
	if ch.Grant != nil && !ch.Grant.ExpiresAt.IsZero() {
		return ch.Grant.ExpiresAt
	}
	if ch.Lifetime > 0 {
		return now.Add(ch.Lifetime)
	}
	return now.Add(AssumedLifetime)
}

// declaredLifetime is how long p says an access token of a token holding
// values lives when nothing else says; zero when it declares nothing.
func declaredLifetime(p provider.Provider, values map[string]string) time.Duration {
	if p.AssumedLifetime == nil {
		return 0
	}
	return max(p.AssumedLifetime(values), 0)
}

// KeyAwaiting is set on a token whose new key pair nobody has registered
// at the provider yet: it is not renewed on a schedule (every renewal
// would fail) until a grant proves the key registered.
const KeyAwaiting = "key_awaiting_registration"

// Form is a provider form a person submitted, with what it carried
// forward from earlier requests.
type Form struct {
	Input Input // normalised and validated
	AppID int64
	// AllowPlain: the person may store values unencrypted (an
	// administrator, on a server that allows it). Otherwise a form, forged
	// or not, is always stored encrypted.
	AllowPlain bool
	// Kept are secrets typed in an earlier, rejected attempt.
	Kept map[string]string
	// Grant was obtained by one of the form's buttons and not saved yet.
	Grant *provider.Grant
}

// FromForm turns a submitted form (create or edit) into the change it asks
// for. stored reads the token's stored values; it is nil for a new token
// and called only when the provider derives values from them (a key pair).
func FromForm(p provider.Provider, f Form, stored func() (map[string]string, error)) (Change, error) {
	var old map[string]string
	if stored != nil && p.Generate != nil {
		var err error
		if old, err = stored(); err != nil {
			return Change{}, err
		}
	}
	return fromForm(p, f, old, stored != nil)
}

// fromForm is FromForm given the saved token's stored values (nil for a
// new token, or when the provider derives nothing from them).
func fromForm(p provider.Provider, f Form, stored map[string]string, saved bool) (Change, error) {
	in := f.Input
	ch := Change{
		AppID:       f.AppID,
		Provider:    p.ID,
		Name:        in.Values[provider.KeyName],
		Description: in.Values[provider.KeyDescription],
		Rate:        Disabled,
		Encrypted:   true,
		Set:         map[string]string{},
		Renewable:   p.Renew != nil,
		Lifetime:    declaredLifetime(p, in.Values),
	}
	if p.Has(provider.KeyRenewalRate) {
		ch.Rate = in.Values[provider.KeyRenewalRate]
	}
	if f.AllowPlain && p.Has(provider.KeyEncrypt) {
		ch.Encrypted = in.Values[provider.KeyEncrypt] != ""
	}
	for _, fd := range p.Fields {
		switch {
		case provider.Common(fd.Key) || fd.Control == provider.Button || fd.Control == provider.Copy:
		case fd.Secret:
			// An empty secret keeps what is stored (or was typed before).
			v := in.Values[fd.Key]
			if v == "" {
				v = f.Kept[fd.Key]
			}
			switch {
			case v != "":
				ch.Set[fd.Key] = v
			case in.Clear[fd.Key]:
				ch.Clear = append(ch.Clear, fd.Key)
			}
		default:
			ch.Set[fd.Key] = in.Values[fd.Key]
		}
	}
	if access := p.Tokens.Access; access != "" {
		switch {
		case in.Values[access] != "" || in.Clear[access]:
			ch.typed(p)
		case f.Grant != nil:
			ch.obtained(p, *f.Grant)
		}
	}
	if p.Generate != nil {
		values := map[string]string{}
		maps.Copy(values, stored)
		maps.Copy(values, ch.Set)
		gen, err := p.Generate(values)
		if err != nil {
			return Change{}, err
		}
		maps.Copy(ch.Set, gen)
		maps.Copy(values, gen)
		ch.publish(p, values)
		if ch.Grant != nil {
			delete(ch.Set, KeyAwaiting)
		} else if values[KeyAwaiting] != "" {
			ch.Renewable = false
		}
	}
	ch.NewKeyPair = hasKeyPair(p, ch.valuesAfter(stored)) && !(saved && hasKeyPair(p, stored))
	return ch, nil
}

// valuesAfter are the values a token holding stored holds once ch is
// applied (as the store applies it).
func (ch Change) valuesAfter(stored map[string]string) map[string]string {
	values := maps.Clone(stored)
	if values == nil {
		values = map[string]string{}
	}
	for _, k := range slices.Concat(ch.Clear, ch.Forget) {
		if _, set := ch.Set[k]; !set {
			delete(values, k)
		}
	}
	maps.Copy(values, ch.Set)
	return values
}

// publish puts the key set of a token holding values into the change.
func (ch *Change) publish(p provider.Provider, values map[string]string) {
	if p.PublicKeys == nil {
		return
	}
	ch.Publish, ch.Published = true, nil
	if keys, ok := p.PublicKeys(values); ok {
		ch.Published = keys.JWKS
	}
}

// FromGrant is a grant obtained for a saved token outside its form (the
// renewal worker, an OAuth callback): only the grant's values change.
func FromGrant(p provider.Provider, g provider.Grant) Change {
	ch := Change{Provider: p.ID, Set: map[string]string{}, Renewable: p.Renew != nil}
	ch.obtained(p, g)
	return ch
}

// KeyValues is a change of the values a provider keeps itself (a new key
// pair, a retired one) on token t holding stored: empty values are removed.
func KeyValues(p provider.Provider, t Token, stored, set map[string]string) Change {
	ch := Change{AppID: t.AppID, Provider: t.Provider, Name: t.Name, Description: t.Description,
		Encrypted: t.Encrypted, Rate: t.Rate, Renewable: p.Renew != nil, Set: map[string]string{}, Lifetime: declaredLifetime(p, stored)}
	values := maps.Clone(stored)
	if values == nil {
		values = map[string]string{}
	}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		if v := set[k]; v == "" {
			ch.Clear = append(ch.Clear, k)
			delete(values, k)
		} else {
			ch.Set[k] = v
			values[k] = v
		}
	}
	if values[KeyAwaiting] != "" {
		ch.Renewable = false
	}
	ch.publish(p, values)
	return ch
}

// obtained stores a grant where the provider keeps it. A grant without a
// refresh token leaves the stored one (Redox rotates them only sometimes).
func (ch *Change) obtained(p provider.Provider, g provider.Grant) {
	ch.Set[p.Tokens.Access] = g.AccessToken
	if g.RefreshToken != "" && p.Tokens.Refresh != "" {
		ch.Set[p.Tokens.Refresh] = g.RefreshToken
	}
	for k, v := range g.Extra {
		ch.Set[k] = v
	}
	ch.Grant = &g
	if p.PublicKeys != nil {
		// A grant proves the key pair registered: renewals may start.
		ch.Forget = append(ch.Forget, KeyAwaiting)
	}
}

// typed applies the rule of an access token typed or cleared by hand: the
// expiry and the refresh token of the grant it replaces no longer apply.
func (ch *Change) typed(p provider.Provider) {
	if !p.Tokens.TypedExpiry {
		ch.ForgetExpiry = true
	}
	if p.Tokens.Refresh != "" {
		ch.Forget = append(ch.Forget, p.Tokens.Refresh)
	}
}

// Fields names the values a change sets, in order, for the audit log.
func (ch Change) Fields() []string {
	return slices.Sorted(maps.Keys(ch.Set))
}

// SecretsHeld names the secret fields of p that hold a value: stored on
// token t (nil for a new one), kept from an earlier attempt, or obtained
// by a button and not saved yet. An empty secret field then keeps it.
func SecretsHeld(p provider.Provider, t *Token, kept map[string]string, g *provider.Grant) map[string]bool {
	out := map[string]bool{}
	for _, f := range p.Fields {
		if !f.Secret {
			continue
		}
		if t != nil {
			if _, ok := t.Stored[f.Key]; ok {
				out[f.Key] = true
			}
		}
		if _, ok := kept[f.Key]; ok {
			out[f.Key] = true
		}
		if g != nil && f.Key == p.Tokens.Access {
			out[f.Key] = true
		}
	}
	return out
}
