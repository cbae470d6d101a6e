package config

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// The OAuth catalogue's stand-in for its vendors is a setting like any
// declared base URL, read once at start-up: unset, every row reaches its
// real vendor; a malformed value stops start-up naming it;
// TOKENDESK_EMULATOR_URL sets it with the rest (make demo); --help lists it.
func TestOAuthVendorsURLIsASetting(t *testing.T) {
	c, err := Load(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if u, set := c.ProviderURLs["oauth_vendors"]; set {
		t.Errorf("unset, the catalogue's vendors are moved to %q", u)
	}
	for _, bad := range []string{"127.0.0.1:9090", "ftp://127.0.0.1", "http://"} {
		_, err := Load(nil, env(map[string]string{"TOKENDESK_OAUTH_VENDORS_URL": bad}), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "TOKENDESK_OAUTH_VENDORS_URL") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	c, err = Load(nil, env(map[string]string{"TOKENDESK_EMULATOR_URL": "http://127.0.0.1:9090"}), io.Discard)
	if err != nil || c.ProviderURLs["oauth_vendors"] != "http://127.0.0.1:9090" {
		t.Errorf("with TOKENDESK_EMULATOR_URL: %q %v", c.ProviderURLs["oauth_vendors"], err)
	}
	var help bytes.Buffer
	Load([]string{"--help"}, env(nil), &help)
	if !strings.Contains(help.String(), "oauth-vendors-url") {
		t.Errorf("--help does not list it:\n%s", help.String())
	}
}
