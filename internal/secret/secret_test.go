package secret

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	box, err := NewBox(GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("s3cr3t-value")
	sealed := box.Seal(plain, "token:1:secret")

	if bytes.Contains(sealed, plain) {
		t.Fatal("sealed value contains the plaintext")
	}
	if again := box.Seal(plain, "token:1:secret"); bytes.Equal(again, sealed) {
		t.Fatal("two seals of one value are identical: nonce is not fresh")
	}
	got, err := box.Open(sealed, "token:1:secret")
	if err != nil || string(got) != string(plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}

	other, _ := NewBox(GenerateKey())
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1

	for name, tc := range map[string]struct {
		box    *Box
		sealed []byte
		aad    string
	}{
		"moved to another field": {box, sealed, "token:1:api_key"},
		"moved to another row":   {box, sealed, "token:2:secret"},
		"tampered":               {box, tampered, "token:1:secret"},
		"wrong key":              {other, sealed, "token:1:secret"},
		"truncated":              {box, sealed[:10], "token:1:secret"},
		"empty":                  {box, nil, "token:1:secret"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := tc.box.Open(tc.sealed, tc.aad); !errors.Is(err, ErrOpen) {
				t.Fatalf("Open err = %v, want ErrOpen", err)
			}
		})
	}
}

func TestKeyCheck(t *testing.T) {
	a, _ := NewBox(GenerateKey())
	b, _ := NewBox(GenerateKey())
	check := a.KeyCheck()
	if err := a.VerifyKeyCheck(check); err != nil {
		t.Fatalf("same key: %v", err)
	}
	if err := b.VerifyKeyCheck(check); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("other key: err = %v, want ErrWrongKey", err)
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "master.key")
	k1, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created || len(k1) != KeySize {
		t.Fatalf("first load: %d bytes, created=%v, err=%v", len(k1), created, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, want 0600", st.Mode().Perm())
	}
	k2, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || !bytes.Equal(k1, k2) {
		t.Fatalf("second load: created=%v err=%v equal=%v", created, err, bytes.Equal(k1, k2))
	}

	bad := filepath.Join(t.TempDir(), "bad.key")
	os.WriteFile(bad, []byte("not base64!!"), 0o600)
	if _, _, err := LoadOrCreateKeyFile(bad); err == nil {
		t.Fatal("malformed key file accepted")
	}
}

func TestParseKey(t *testing.T) {
	k := GenerateKey()
	for _, s := range []string{
		base64.StdEncoding.EncodeToString(k),
		base64.RawURLEncoding.EncodeToString(k),
		" " + base64.StdEncoding.EncodeToString(k) + "\n",
	} {
		got, err := ParseKey(s)
		if err != nil || !bytes.Equal(got, k) {
			t.Fatalf("ParseKey(%q) = %v", s, err)
		}
	}
	if _, err := ParseKey(base64.StdEncoding.EncodeToString(k[:16])); err == nil {
		t.Fatal("16-byte key accepted")
	}
	if _, err := ParseKey("%%%"); err == nil {
		t.Fatal("garbage accepted")
	}
}
