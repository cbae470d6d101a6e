package token

import (
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// keyProvider keeps a generated key pair, like Redox (OAuth 2.0).
func keyProvider(generated *int) provider.Provider {
	p := oauthProvider()
	p.Kept = []string{"private_key", KeyAwaiting}
	p.Generate = func(values map[string]string) (map[string]string, error) {
		if values["private_key"] != "" {
			return nil, nil
		}
		*generated++
		return map[string]string{"private_key": "new key", KeyAwaiting: "1"}, nil
	}
	return p
}

func importInput(values map[string]string) Input {
	in := Input{Values: map[string]string{"name": "Lab Feed", "description": "d", "renewal_rate": "1h", "encrypt": "on"}, Clear: map[string]bool{}}
	maps.Copy(in.Values, values)
	return in
}

func TestFromImport(t *testing.T) {
	t.Run("definitions only: stored, not renewed until its secret is entered", func(t *testing.T) {
		p := oauthProvider()
		ch, err := FromImport(p, Import{Input: importInput(map[string]string{"api_key": "k"})}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Renewable || ch.Rate != "1h" || ch.Set["api_key"] != "k" || ch.Name != "Lab Feed" || !ch.Encrypted {
			t.Fatalf("change: %+v", ch)
		}
		if got := MissingSecrets(p, importInput(nil), nil); !reflect.DeepEqual(got, []string{"secret"}) {
			t.Fatalf("missing: %v", got)
		}
	})
	t.Run("with secrets: renewable, never an access token", func(t *testing.T) {
		ch, err := FromImport(oauthProvider(), Import{Input: importInput(map[string]string{"api_key": "k", "secret": "s", "token": "smuggled"})}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !ch.Renewable || ch.Set["secret"] != "s" || ch.Set["token"] != "" || ch.ForgetExpiry {
			t.Fatalf("change: %+v", ch)
		}
	})
	t.Run("replace keeps a stored secret the file does not carry", func(t *testing.T) {
		stored := func() (map[string]string, error) { return map[string]string{"api_key": "old", "secret": "kept"}, nil }
		ch, err := FromImport(oauthProvider(), Import{Input: importInput(map[string]string{"api_key": "new"})}, stored)
		if err != nil {
			t.Fatal(err)
		}
		if _, set := ch.Set["secret"]; set || !ch.Renewable || ch.Set["api_key"] != "new" {
			t.Fatalf("change: %+v", ch)
		}
	})
	t.Run("a carried key pair is kept, not generated again", func(t *testing.T) {
		n := 0
		ch, err := FromImport(keyProvider(&n), Import{Input: importInput(map[string]string{"api_key": "k", "secret": "s"}),
			Kept: map[string]string{"private_key": "the key"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 || ch.Set["private_key"] != "the key" || !ch.Renewable {
			t.Fatalf("generated %d, change %+v", n, ch)
		}
		// Over a token waiting for its key's registration, the imported
		// (registered) key state replaces the waiting flag too.
		stored := func() (map[string]string, error) {
			return map[string]string{"private_key": "waiting key", KeyAwaiting: "1", "secret": "s"}, nil
		}
		ch, err = FromImport(keyProvider(&n), Import{Input: importInput(map[string]string{"api_key": "k"}),
			Kept: map[string]string{"private_key": "the key"}}, stored)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Set["private_key"] != "the key" || !slices.Contains(ch.Clear, KeyAwaiting) || !ch.Renewable {
			t.Fatalf("change %+v", ch)
		}
	})
	t.Run("without a key pair one is generated and waits", func(t *testing.T) {
		n := 0
		ch, err := FromImport(keyProvider(&n), Import{Input: importInput(map[string]string{"api_key": "k", "secret": "s"})}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 || ch.Set["private_key"] != "new key" || ch.Renewable {
			t.Fatalf("generated %d, change %+v", n, ch)
		}
	})
}
