package notify

import (
	"net/netip"
	"net/url"
	"strings"

	"github.com/tokendesk/tokendesk/internal/netguard"
)

// SettingLabel is the Notifications page's own name for the setting that
// lets endpoints live on private addresses: messages name it as people see it.
const SettingLabel = "Allow endpoints on private and loopback addresses"

// CheckTarget says why an endpoint URL may not be saved while private
// addresses are off ("" when nothing is wrong): its host is an address on
// this machine or a private network, or a name that always means this
// machine (localhost). Other names are checked as every connection is made
// (NewClient): what they resolve to can change after saving. The rule is
// netguard's, the one every connection is checked with.
func CheckTarget(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	what := ""
	switch {
	case host == "localhost" || strings.HasSuffix(host, ".localhost"):
		what = "this machine (localhost)"
	default:
		ip, err := netip.ParseAddr(host)
		if err != nil || !netguard.Blocked(ip) {
			return ""
		}
		what = "a loopback, private or link-local address (" + ip.String() + ")"
	}
	return "This endpoint is on " + what + ", and private addresses are off: tokendesk would refuse every delivery. " +
		"Turn on “" + SettingLabel + "” under Private addresses below first, or use a public address."
}
