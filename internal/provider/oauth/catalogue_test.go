package oauth

import (
	"slices"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// Every catalogue row is whole: a group of the picker, its vendor's page,
// a who-am-I, where its app is registered, a default Renewal Rate, and
// every {key} of its URLs filled from one of its fields or values.
func TestCatalogueRowsAreWhole(t *testing.T) {
	if len(Presets) != 30 {
		t.Fatalf("%d services, want the 30 of oauth-services.md", len(Presets))
	}
	seen := map[string]bool{}
	for _, ps := range Presets {
		if seen[ps.ID] || !strings.HasPrefix(ps.ID, ID+"-") {
			t.Errorf("%s: duplicate or unprefixed ID", ps.ID)
		}
		seen[ps.ID] = true
		if !slices.Contains(Groups, ps.Group) || ps.Docs == "" || ps.WhoAmI == nil || ps.Detail == "" {
			t.Errorf("%s: group %q, docs %q, who-am-I %v", ps.ID, ps.Group, ps.Docs, ps.WhoAmI)
		}
		known := map[string]bool{KeyInstanceURL: true, KeyAPIURL: true}
		for _, f := range ps.Fields {
			known[f.Key] = true
		}
		for _, d := range ps.Derived {
			if !slices.ContainsFunc(ps.Fields, func(f provider.Field) bool { return f.Key == d.From }) {
				t.Errorf("%s: {%s} is derived from %s, which is not a field", ps.ID, d.Key, d.From)
			}
			known[d.Key] = true
		}
		for _, v := range ps.Values {
			known[v.Key] = true
			if v.From == FromLookup && v.Lookup == "" || v.Path == "" {
				t.Errorf("%s: value %s has no path or lookup", ps.ID, v.Key)
			}
		}
		urls := []string{ps.AuthURL, ps.TokenURL, ps.WhoAmI.URL, ps.APIBase}
		for _, v := range ps.Values {
			urls = append(urls, v.Lookup)
		}
		for _, u := range urls {
			for _, m := range placeholder.FindAllStringSubmatch(u, -1) {
				if !known[m[1]] {
					t.Errorf("%s: {%s} in %s is neither a field nor a value", ps.ID, m[1], u)
				}
			}
			if u != "" && checkTemplateURL(u) != "" && !strings.HasPrefix(u, "{") {
				t.Errorf("%s: %s is not a URL", ps.ID, u)
			}
		}
	}
}

// A host part is one DNS label: nothing typed can move a vendor URL to
// another host.
func TestCatalogueHostPartsStayOnTheVendor(t *testing.T) {
	zendesk, _ := PresetByID("oauth2-zendesk")
	f := zendesk.Fields[0]
	for _, bad := range []string{"evil.com/x", "acme.zendesk.com", "a b", "evil.com#", "-acme", ""} {
		if f.Check(bad) == "" {
			t.Errorf("subdomain %q accepted", bad)
		}
	}
	if f.Check("acme-support") != "" {
		t.Error("a good subdomain refused")
	}
	a, tok := zendesk.Endpoints(provider.Env{}, map[string]string{KeyAuthURL: zendesk.AuthURL, KeyTokenURL: zendesk.TokenURL, "subdomain": "acme"})
	if a != "https://acme.zendesk.com/oauth/authorizations/new" || tok != "https://acme.zendesk.com/oauth/tokens" {
		t.Fatalf("%s %s", a, tok)
	}
	intercom, _ := PresetByID("oauth2-intercom")
	for region, want := range map[string]string{"us": "https://api.intercom.io/auth/eagle/token", "eu": "https://api.eu.intercom.io/auth/eagle/token"} {
		if _, tok := intercom.Endpoints(provider.Env{}, map[string]string{KeyTokenURL: intercom.TokenURL, "intercom_region": region}); tok != want {
			t.Errorf("%s: %s", region, tok)
		}
	}
}

// dig reads the values rows declare in the shapes vendors answer.
func TestDig(t *testing.T) {
	answer := map[string]any{"team": map[string]any{"id": "T1"}, "n": float64(62515),
		"accounts": []any{map[string]any{"base_uri": "https://demo.docusign.net"}}, "emails": []any{"a@b"}}
	for path, want := range map[string]string{"team.id": "T1", "n": "62515", "accounts.0.base_uri": "https://demo.docusign.net",
		"emails.0": "a@b", "emails.1": "", "team": "", "missing.x": "", "accounts.x": ""} {
		if got := dig(answer, path); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
}

// In the demo, a row's vendor hosts go to the emulator's /vendors/{row}/
// (the call's VendorsURL); loopback URLs and the generic provider stay as
// they are, and without the setting every row reaches its real vendor.
func TestDemoVendorsURL(t *testing.T) {
	env := provider.Env{URLs: map[string]string{VendorsURL.Name: "http://127.0.0.1:9090/"}}
	hub, _ := PresetByID("oauth2-hubspot")
	c := client{preset: hub}.with(env)
	if got := c.demo("https://api.hubapi.com/oauth/v1/token?x=1"); got != "http://127.0.0.1:9090/vendors/hubspot/oauth/v1/token?x=1" {
		t.Fatal(got)
	}
	if got := c.demo("http://127.0.0.1:9090/vendors/salesforce/x"); got != "http://127.0.0.1:9090/vendors/salesforce/x" {
		t.Fatal(got)
	}
	if got := (client{preset: Preset{ID: ID}}).with(env).demo("https://idp.example/token"); got != "https://idp.example/token" {
		t.Fatal(got)
	}
	if got := (client{preset: hub}).with(provider.Env{}).demo("https://api.hubapi.com/oauth/v1/token"); got != "https://api.hubapi.com/oauth/v1/token" {
		t.Fatal(got)
	}
	// Every catalogue row declares the setting; the generic form types its URLs.
	for _, p := range Providers() {
		if got := slices.Contains(p.BaseURLs, VendorsURL); got != (p.ID != ID) {
			t.Errorf("%s declares %s: %v", p.ID, VendorsURL.EnvVar(), got)
		}
	}
}
