package transfer

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func sample() File {
	return File{ExportedAt: time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC), Scope: ScopeGlobal, Tokens: []Token{{
		Provider: "redox", Name: "Lab Feed", Description: "Results", RenewalRate: "1h", Encrypt: true,
		Values:  map[string]string{"environment": "development", "api_key": "rdx-key"},
		Secrets: map[string]string{"secret": "rdx-secret-value"},
	}}}
}

// lowWork keeps scrypt cheap in tests; the format is the same.
const lowWork = 10

func TestRoundTripEncrypted(t *testing.T) {
	data, err := Encode(sample(), "a long passphrase", lowWork)
	if err != nil {
		t.Fatal(err)
	}
	if !Encrypted(data) || bytes.Contains(data, []byte("rdx-secret-value")) || bytes.Contains(data, []byte("Lab Feed")) {
		t.Fatalf("an export with secrets must be encrypted whole:\n%s", data)
	}
	f, err := Decode(data, "a long passphrase")
	if err != nil {
		t.Fatal(err)
	}
	if !f.Secrets || f.Version != Version || f.Format != Format || f.Tokens[0].Secrets["secret"] != "rdx-secret-value" || f.Tokens[0].Values["api_key"] != "rdx-key" {
		t.Fatalf("round trip: %+v", f)
	}
}

func TestDefinitionsArePlainJSON(t *testing.T) {
	in := sample()
	in.Tokens[0].Secrets = nil
	data, err := Encode(in, "", lowWork)
	if err != nil {
		t.Fatal(err)
	}
	if Encrypted(data) || !bytes.Contains(data, []byte(`"format": "tokendesk.access-tokens"`)) || !bytes.Contains(data, []byte(`"version": 1`)) {
		t.Fatalf("definitions: %s", data)
	}
	if _, err := Encode(sample(), "", lowWork); err == nil {
		t.Fatal("secrets without a passphrase were written")
	}
	f, err := Decode(data, "")
	if err != nil || f.Secrets || f.Tokens[0].Name != "Lab Feed" {
		t.Fatalf("decode: %+v %v", f, err)
	}
}

func TestRefusedFiles(t *testing.T) {
	enc, err := Encode(sample(), "a long passphrase", lowWork)
	if err != nil {
		t.Fatal(err)
	}
	// Flip one base64 character in the middle of the armored payload.
	tampered := bytes.Clone(enc)
	i := len(tampered) * 2 / 3
	for tampered[i] == '\n' || tampered[i] == 'A' {
		i++
	}
	tampered[i] = 'A'
	lines := strings.Split(strings.TrimSpace(string(enc)), "\n")
	truncated := strings.Join(append(lines[:len(lines)-2:len(lines)-2], lines[len(lines)-1]), "\n")
	plain, _ := Encode(File{Scope: ScopeGlobal, Tokens: []Token{{Provider: "redox", Name: "A"}}}, "", lowWork)
	for _, tc := range []struct {
		name, data, pass string
		want             error
	}{
		{"wrong passphrase", string(enc), "another passphrase", ErrWrongPassphrase},
		{"no passphrase", string(enc), "", ErrNeedsPassphrase},
		{"tampered", string(tampered), "a long passphrase", ErrDamaged},
		{"truncated", truncated, "a long passphrase", ErrDamaged},
		{"truncated JSON", string(plain[:len(plain)/2]), "", ErrNotExport},
		{"not JSON", "hello", "", ErrNotExport},
		{"another format", `{"format":"x","version":1}`, "", ErrNotExport},
		{"newer version", `{"format":"tokendesk.access-tokens","version":2}`, "", ErrVersion},
		{"two documents", string(plain) + string(plain), "", ErrNotExport},
		{"plain secrets", `{"format":"tokendesk.access-tokens","version":1,"tokens":[{"provider":"redox","name":"A","secrets":{"secret":"x"}}]}`, "", ErrPlainSecrets},
		{"empty", " \n", "", ErrEmpty},
		{"too large", strings.Repeat(" ", MaxSize+1), "", ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Decode([]byte(tc.data), tc.pass)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if len(f.Tokens) != 0 {
				t.Fatalf("a refused file gave tokens: %+v", f)
			}
		})
	}
	_, err = Decode([]byte(`{"format":"tokendesk.access-tokens","version":1,"tokens":[{"provider":"redox","name":"A","colour":"red"}]}`), "")
	var unknown *UnknownFieldError
	if !errors.As(err, &unknown) || unknown.Field != "colour" {
		t.Fatalf("unknown field: %v", err)
	}
}
