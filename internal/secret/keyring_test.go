package secret

import (
	"bytes"
	"errors"
	"testing"
)

func TestKeyringSealsUnderDataKeysAndOpensFormatV1(t *testing.T) {
	master, _ := NewBox(GenerateKey())
	ring := NewKeyring(master)
	dk := GenerateKey()
	wrapped := ring.Wrap(7, dk)
	if bytes.Contains(wrapped, dk) {
		t.Fatal("the wrapped data key holds the key in clear")
	}
	if err := ring.Add(7, wrapped); err != nil {
		t.Fatal(err)
	}
	sealed, err := ring.Seal(7, []byte("the-secret"), "tokendesk/token/1/secret")
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := KeyIDOf(sealed); !ok || id != 7 {
		t.Fatalf("KeyIDOf = %d, %v; want 7", id, ok)
	}
	if got, err := ring.Open(sealed, "tokendesk/token/1/secret"); err != nil || string(got) != "the-secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := ring.Open(sealed, "tokendesk/token/2/secret"); !errors.Is(err, ErrOpen) {
		t.Fatalf("moved value: err = %v, want ErrOpen", err)
	}

	// A value sealed before data keys existed keeps opening.
	v1 := master.Seal([]byte("old"), "tokendesk/token/1/api_key")
	if _, ok := KeyIDOf(v1); ok {
		t.Fatal("a v1 value names a data key")
	}
	if got, err := ring.Open(v1, "tokendesk/token/1/api_key"); err != nil || string(got) != "old" {
		t.Fatalf("v1 Open = %q, %v", got, err)
	}

	// Another process's keyring learns of key 7 when it meets a value.
	other := NewKeyring(master)
	_, err = other.Open(sealed, "tokendesk/token/1/secret")
	if id, ok := IsUnknownKey(err); !ok || id != 7 {
		t.Fatalf("unloaded key: err = %v", err)
	}
	if err := other.Add(7, wrapped); err != nil {
		t.Fatal(err)
	}
	if got, err := other.Open(sealed, "tokendesk/token/1/secret"); err != nil || string(got) != "the-secret" {
		t.Fatalf("after loading: %q, %v", got, err)
	}
	other.Forget(7)
	if _, err := other.Seal(7, []byte("x"), "a"); err == nil {
		t.Fatal("sealed under a forgotten key")
	}
}

func TestKeyringRefusesMisplacedOrForeignKeys(t *testing.T) {
	master, _ := NewBox(GenerateKey())
	ring := NewKeyring(master)
	wrapped := ring.Wrap(1, GenerateKey())
	if err := ring.Add(2, wrapped); !errors.Is(err, ErrOpen) {
		t.Fatalf("a wrapped key under another id: err = %v", err)
	}
	otherMaster, _ := NewBox(GenerateKey())
	if err := NewKeyring(otherMaster).Add(1, wrapped); !errors.Is(err, ErrOpen) {
		t.Fatalf("another master key unwrapped it: %v", err)
	}
	// Rewrapping for a new master key keeps the data key.
	if err := ring.Add(1, wrapped); err != nil {
		t.Fatal(err)
	}
	sealed, _ := ring.Seal(1, []byte("v"), "aad")
	rewrapped, err := ring.Rewrap(1, wrapped, otherMaster)
	if err != nil {
		t.Fatal(err)
	}
	next := NewKeyring(otherMaster)
	if err := next.Add(1, rewrapped); err != nil {
		t.Fatal(err)
	}
	if got, err := next.Open(sealed, "aad"); err != nil || string(got) != "v" {
		t.Fatalf("after rewrap: %q, %v", got, err)
	}
	// A truncated v2 value is refused, not a panic.
	if _, err := next.Open(sealed[:8], "aad"); !errors.Is(err, ErrOpen) {
		t.Fatalf("truncated: %v", err)
	}
}
