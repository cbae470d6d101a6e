package config

import (
	"io"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/provider/registry"
)

// Every base URL a registered provider declares is a setting of its own,
// by the generic rule (TOKENDESK_<NAME>_URL, --<name>-url), without config
// naming the provider: the variable and the flag (which wins) both move it,
// a bad value names the setting, and TOKENDESK_EMULATOR_URL moves every one
// not set on its own.
func TestEveryDeclaredBaseURLIsASetting(t *testing.T) {
	bases := registry.BaseURLs()
	if len(bases) == 0 {
		t.Fatal("no provider declares a base URL")
	}
	for _, b := range bases {
		c, err := Load(nil, env(map[string]string{b.EnvVar(): "http://127.0.0.1:9/" + b.Name + "/"}), io.Discard)
		if err != nil || c.ProviderURLs[b.Name] != "http://127.0.0.1:9/"+b.Name {
			t.Errorf("%s: %q %v", b.EnvVar(), c.ProviderURLs[b.Name], err)
		}
		for _, o := range bases {
			if o.Name != b.Name && c.ProviderURLs[o.Name] != o.Default {
				t.Errorf("%s moved %s too: %q", b.EnvVar(), o.Name, c.ProviderURLs[o.Name])
			}
		}
		c, err = Load([]string{"--" + b.Flag(), "http://127.0.0.1:8"}, env(map[string]string{b.EnvVar(): "http://127.0.0.1:9"}), io.Discard)
		if err != nil || c.ProviderURLs[b.Name] != "http://127.0.0.1:8" {
			t.Errorf("--%s: %q %v", b.Flag(), c.ProviderURLs[b.Name], err)
		}
		if _, err := Load(nil, env(map[string]string{b.EnvVar(): "ftp://x"}), io.Discard); err == nil || !strings.Contains(err.Error(), b.EnvVar()) {
			t.Errorf("a bad %s: %v", b.EnvVar(), err)
		}
	}
	first := bases[0]
	c, err := Load(nil, env(map[string]string{"TOKENDESK_EMULATOR_URL": "http://127.0.0.1:9090", first.EnvVar(): "http://127.0.0.1:7"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bases {
		want := "http://127.0.0.1:9090"
		if b.Name == first.Name {
			want = "http://127.0.0.1:7" // its own setting wins
		}
		if c.ProviderURLs[b.Name] != want {
			t.Errorf("with TOKENDESK_EMULATOR_URL, %s = %q, want %q", b.Name, c.ProviderURLs[b.Name], want)
		}
	}
	if _, err := Load(nil, env(map[string]string{"TOKENDESK_EMULATOR_URL": "emulator"}), io.Discard); err == nil || !strings.Contains(err.Error(), "TOKENDESK_EMULATOR_URL") {
		t.Errorf("a bad TOKENDESK_EMULATOR_URL: %v", err)
	}
}
