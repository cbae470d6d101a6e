package keypair

import (
	"crypto"
	"encoding/json"
	"errors"
	"testing"
)

// A rotation over any provider's value names: the new key is published
// beside the current one, signs once switched to, and the old one stays
// published until retired.
func TestRotationPublishesBeforeSigning(t *testing.T) {
	r := Rotation{
		PrivateKey: "pk", KeyID: "kid",
		Make: func(string, crypto.Signer) (string, error) { return Generate(P256) },
		Alg: func(k crypto.Signer) string {
			if KindOf(k) == P256 {
				return "ES256"
			}
			return "RS256"
		},
	}
	first, err := Generate(RSA)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{"pk": first, "kid": "one"}
	jwksKeys := func() []map[string]string {
		pub, ok := r.Public(values)
		if !ok {
			t.Fatal("no public keys")
		}
		var doc struct{ Keys []map[string]string }
		json.Unmarshal(pub.JWKS, &doc)
		return doc.Keys
	}
	if _, err := r.Rotate(values, "one", ""); !errors.Is(err, ErrSameKeyID) {
		t.Fatalf("a published Key ID: %v", err)
	}
	set, err := r.Rotate(values, "two", "")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		values[k] = v
	}
	if keys := jwksKeys(); len(keys) != 2 || keys[0]["kid"] != "one" || keys[1]["kid"] != "two" || keys[1]["crv"] != "P-256" {
		t.Fatalf("JWKS while waiting: %v", keys)
	}
	set, ok := r.UseNext(values)
	if !ok || set["kid"] != "two" {
		t.Fatalf("use next: %v %v", ok, set)
	}
	for k, v := range set {
		values[k] = v
	}
	if !r.Published(values, "one") || jwksKeys()[0]["kid"] != "two" {
		t.Fatal("the old key is not published after the switch")
	}
	set, ok = r.Retire(values, "one")
	if !ok {
		t.Fatal("retire")
	}
	for k, v := range set {
		values[k] = v
	}
	if r.Published(values, "one") || len(jwksKeys()) != 1 {
		t.Fatal("a retired key is still published")
	}
}
