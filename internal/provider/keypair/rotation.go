package keypair

import (
	"crypto"
	"encoding/json"
	"errors"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// Values tokendesk keeps for a key pair being rotated.
const (
	// KeyPrevious holds earlier key pairs still published in the JWKS
	// after a new one signs, so that rotating is not an outage:
	// JSON [{kid, pem}].
	KeyPrevious = "previous_keys"
	// KeyNext holds a new key pair published in the JWKS but not signing
	// yet, so that the service (and caches of the JWKS) know it before it
	// is used: JSON {kid, pem}.
	KeyNext = "next_key"
)

// ErrSameKeyID: a new key pair needs a Key ID of its own.
var ErrSameKeyID = errors.New("the new key pair needs a Key ID that no published key uses")

// ErrNextWaiting: a new key pair is already published and not signing yet.
var ErrNextWaiting = errors.New("a new key pair is already waiting to sign")

// stored is a kept key pair under its Key ID.
type stored struct {
	KID string `json:"kid"`
	PEM string `json:"pem"`
}

// Rotation is how a provider's tokens keep, publish and rotate their key
// pair, over the values named here.
type Rotation struct {
	// PrivateKey and KeyID are the values of the current key pair.
	PrivateKey, KeyID string
	// Method, when set, is the value naming how the token signs, and
	// MethodOf the method of a key: a new key pair that signs sets it.
	Method   string
	MethodOf func(crypto.Signer) string
	// Signs reports whether the values sign with a key pair at all (not a
	// shared secret); nil: whenever there is a private key.
	Signs func(values map[string]string) bool
	// Make generates a new key pair of method ("" keeps the kind of
	// current), as PKCS #8 PEM.
	Make func(method string, current crypto.Signer) (string, error)
	// Alg is the JWK alg a key signs with.
	Alg func(crypto.Signer) string
}

func (r Rotation) signs(values map[string]string) bool {
	return values[r.PrivateKey] != "" && (r.Signs == nil || r.Signs(values))
}

func previous(values map[string]string) []stored {
	var out []stored
	json.Unmarshal([]byte(values[KeyPrevious]), &out)
	return out
}

func encodePrevious(keys []stored) string {
	if len(keys) == 0 {
		return ""
	}
	b, _ := json.Marshal(keys)
	return string(b)
}

func next(values map[string]string) (stored, bool) {
	var k stored
	if json.Unmarshal([]byte(values[KeyNext]), &k) != nil || k.KID == "" {
		return stored{}, false
	}
	return k, true
}

// Published reports whether kid names a key the token's JWKS publishes
// (the current key, one waiting to sign, or an earlier one not retired).
func (r Rotation) Published(values map[string]string, kid string) bool {
	if r.signs(values) && values[r.KeyID] == kid {
		return true
	}
	if n, ok := next(values); ok && n.KID == kid {
		return true
	}
	for _, k := range previous(values) {
		if k.KID == kid {
			return true
		}
	}
	return false
}

// Rotate makes a new key pair of method ("" keeps the current kind) under
// newKeyID and publishes it beside the current one, which keeps signing
// until UseNext: readers of the JWKS learn the new key before anything is
// signed with it. It returns the values to store.
func (r Rotation) Rotate(values map[string]string, newKeyID, method string) (map[string]string, error) {
	cur, err := Parse(values[r.PrivateKey])
	if err != nil || !r.signs(values) {
		return nil, ErrNoKey
	}
	if _, waiting := next(values); waiting {
		return nil, ErrNextWaiting
	}
	if newKeyID == "" || r.Published(values, newKeyID) {
		return nil, ErrSameKeyID
	}
	fresh, err := r.Make(method, cur)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(stored{KID: newKeyID, PEM: fresh})
	return map[string]string{KeyNext: string(b)}, nil
}

// UseNext makes the waiting key pair sign from now on, under its Key ID
// (and method); the one it replaces stays in the JWKS until it is retired.
// ok is false when no key pair is waiting.
func (r Rotation) UseNext(values map[string]string) (map[string]string, bool) {
	n, ok := next(values)
	if !ok {
		return nil, false
	}
	k, err := Parse(n.PEM)
	if err != nil {
		return nil, false
	}
	prev := previous(values)
	if values[r.PrivateKey] != "" {
		prev = append(prev, stored{KID: values[r.KeyID], PEM: values[r.PrivateKey]})
	}
	set := map[string]string{r.PrivateKey: n.PEM, r.KeyID: n.KID, KeyPrevious: encodePrevious(prev), KeyNext: ""}
	if r.Method != "" {
		set[r.Method] = r.MethodOf(k)
	}
	return set, true
}

// Retire stops publishing the earlier key pair kid; ok is false when there
// is no such key.
func (r Rotation) Retire(values map[string]string, kid string) (map[string]string, bool) {
	prev := previous(values)
	for i, k := range prev {
		if k.KID == kid {
			prev = append(prev[:i], prev[i+1:]...)
			return map[string]string{KeyPrevious: encodePrevious(prev)}, true
		}
	}
	return nil, false
}

// Public derives the publishable half of a token's key pairs from its
// stored values: the current key's PEM, and a JWKS of the current key,
// the one waiting to sign and the earlier ones not retired. ok is false
// when the token signs with a shared secret or has no key pair yet.
func (r Rotation) Public(values map[string]string) (provider.PublishedKeys, bool) {
	if !r.signs(values) {
		return provider.PublishedKeys{}, false
	}
	k, err := Parse(values[r.PrivateKey])
	if err != nil {
		return provider.PublishedKeys{}, false
	}
	pub, err := PublicPEM(k)
	if err != nil {
		return provider.PublishedKeys{}, false
	}
	jwk, ok := JWK(k, values[r.KeyID], r.Alg(k))
	if !ok {
		return provider.PublishedKeys{}, false
	}
	out := provider.PublishedKeys{PEM: pub}
	keys := []any{jwk}
	if n, ok := next(values); ok {
		if nk, err := Parse(n.PEM); err == nil {
			if j, ok := JWK(nk, n.KID, r.Alg(nk)); ok {
				keys = append(keys, j)
				out.Next = n.KID
			}
		}
	}
	for _, p := range previous(values) {
		if pk, err := Parse(p.PEM); err == nil {
			if j, ok := JWK(pk, p.KID, r.Alg(pk)); ok {
				keys = append(keys, j)
				out.Previous = append(out.Previous, p.KID)
			}
		}
	}
	out.JWKS, _ = json.Marshal(map[string]any{"keys": keys})
	return out, true
}
