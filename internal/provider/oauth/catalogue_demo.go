package oauth

import (
	"net"
	"net/url"
	"strings"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// VendorsURL is an emulator standing in for every catalogue vendor
// (`tokendesk emulate`, as `make demo` runs it): when set, each row's
// requests to its vendor's hosts (authorization, token, who-am-I, lookups)
// go to that URL + /vendors/{row}/ with the path and query kept, as
// TOKENDESK_ZOOM_OAUTH_URL does for Zoom. Loopback URLs (an emulator's
// own instance_url) and the generic OAuth 2.0 provider are left alone.
// Its default, none, is the real vendors: it is set by
// TOKENDESK_OAUTH_VENDORS_URL or TOKENDESK_EMULATOR_URL, as any declared
// base URL is, and read from the provider.Env of each call.
var VendorsURL = provider.BaseURL{Name: "oauth_vendors",
	Label: "a stand-in for every vendor of the OAuth catalogue (tokendesk emulate; default: none, the real vendors)"}

// with is the client for one call in env: where its vendors are.
func (c client) with(env provider.Env) client {
	c.vendors = env.URL(VendorsURL.Name)
	return c
}

// VendorSlug is a row's part of the demo emulator's paths: its ID without
// the oauth2- prefix (hubspot, slack, atlassian).
func VendorSlug(id string) string { return strings.TrimPrefix(id, ID+"-") }

func (c client) demoBase() string {
	if c.vendors == "" || c.preset.ID == ID || c.preset.ID == "" {
		return ""
	}
	return c.vendors + "/vendors/" + VendorSlug(c.preset.ID)
}

// demo moves a vendor URL to the stand-in (see VendorsURL).
func (c client) demo(raw string) string {
	base := c.demoBase()
	if base == "" || raw == "" {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() || u.Hostname() == "localhost" {
		return raw
	}
	out := base + u.EscapedPath()
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out
}
