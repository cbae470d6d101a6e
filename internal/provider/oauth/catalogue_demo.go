package oauth

import (
	"net"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
)

// vendorsURL, when set, is an emulator standing in for every catalogue
// vendor (`tokendesk emulate`, as `make demo` runs it): each row's
// requests to its vendor's hosts (authorization, token, who-am-I,
// lookups) go to that URL + /vendors/{row}/ with the path and query kept,
// as TOKENDESK_ZOOM_OAUTH_URL does for Zoom. Loopback URLs (an emulator's
// own instance_url) and the generic OAuth 2.0 provider are left alone.
// It is read from TOKENDESK_OAUTH_VENDORS_URL: a demo setting only.
// Atomic: a test sets it while a server runs.
var vendorsURL atomic.Value // string

func init() { SetVendorsURL(os.Getenv("TOKENDESK_OAUTH_VENDORS_URL")) }

// SetVendorsURL points the catalogue at a demo emulator ("" for the real
// vendors), as TOKENDESK_OAUTH_VENDORS_URL does at start-up; it returns
// the previous value.
func SetVendorsURL(u string) string {
	old, _ := vendorsURL.Swap(strings.TrimRight(u, "/")).(string)
	return old
}

func vendorsBase() string { s, _ := vendorsURL.Load().(string); return s }

// VendorSlug is a row's part of the demo emulator's paths: its ID without
// the oauth2- prefix (hubspot, slack, atlassian).
func VendorSlug(id string) string { return strings.TrimPrefix(id, ID+"-") }

func (c client) demoBase() string {
	base := vendorsBase()
	if base == "" || c.preset.ID == ID || c.preset.ID == "" {
		return ""
	}
	return base + "/vendors/" + VendorSlug(c.preset.ID)
}

// demo moves a vendor URL to the demo emulator (see vendorsURL).
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
