package oauth

import (
	"testing"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// The proxy's API base of a preset: its row's APIBase with the token's
// values filled (a tenant's subdomain, the answer's instance_url), the
// header the service reads the token from, nothing while a value is
// missing; the generic form's typed API Base URL.
func TestPresetAPIForTheProxy(t *testing.T) {
	byID := map[string]provider.Provider{}
	for _, p := range Providers() {
		byID[p.ID] = p
	}
	for _, c := range []struct {
		id     string
		values map[string]string
		base   string
		header string
	}{
		{"oauth2-zendesk", map[string]string{"subdomain": "acme"}, "https://acme.zendesk.com/api/v2", ""},
		{"oauth2-shopify", map[string]string{"shop": "tea"}, "https://tea.myshopify.com/admin/api", "X-Shopify-Access-Token"},
		{"oauth2-salesforce", map[string]string{"instance_url": "https://acme.my.salesforce.com/"}, "https://acme.my.salesforce.com/services/data", ""},
		{"oauth2-pipedrive", map[string]string{"api_domain": "https://acme.pipedrive.com"}, "https://acme.pipedrive.com/api/v1", ""},
		{"oauth2-github", map[string]string{"github_host": "github.com"}, "https://api.github.com", ""},
		{"oauth2-github", map[string]string{"github_host": "ghe.acme.test"}, "https://ghe.acme.test/api/v3", ""},
		{ID, map[string]string{KeyAPIBase: "https://api.example.com/v3"}, "https://api.example.com/v3", ""},
	} {
		p, ok := byID[c.id]
		if !ok || p.API == nil {
			t.Errorf("%s declares no API", c.id)
			continue
		}
		base, ok := p.API.Base(provider.Env{}, c.values)
		if !ok || base != c.base || p.API.Header != c.header {
			t.Errorf("%s: %q %v header %q, want %q header %q", c.id, base, ok, p.API.Header, c.base, c.header)
		}
		if _, has := p.Field(provider.KeyProxyOnly); !has {
			t.Errorf("%s has no Only through the proxy", c.id)
		}
	}
	// The proxy loads the stored values Base reads: a made-up key's own
	// field (GitHub Host for {github_api}), not the key.
	if f := byID["oauth2-github"].API.Fields; len(f) != 1 || f[0] != "github_host" {
		t.Errorf("GitHub's API reads %v, want [github_host]", f)
	}
	if _, ok := byID["oauth2-zendesk"].API.Base(provider.Env{}, nil); ok {
		t.Error("a Zendesk base without its subdomain")
	}
	if _, ok := byID[ID].API.Base(provider.Env{}, nil); ok {
		t.Error("a generic token without an API Base URL has one")
	}
}
