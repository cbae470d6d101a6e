package netguard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestBlocked(t *testing.T) {
	for _, c := range []struct {
		addr string
		want bool
	}{
		{"127.0.0.1", true}, {"127.8.9.10", true}, {"::1", true},
		{"10.1.2.3", true}, {"172.16.0.1", true}, {"192.168.1.1", true}, {"fd12::1", true},
		{"169.254.169.254", true}, {"fe80::1", true},
		{"100.64.0.1", true}, {"100.100.100.200", true}, {"100.127.255.255", true},
		{"198.18.0.1", true}, {"198.19.255.255", true},
		{"0.0.0.0", true}, {"0.1.2.3", true}, {"::", true},
		{"224.0.0.1", true}, {"ff02::1", true}, {"255.255.255.255", true},
		{"::ffff:127.0.0.1", true}, {"::ffff:169.254.169.254", true}, {"::127.0.0.1", true},
		{"64:ff9b::7f00:1", true}, {"64:ff9b::808:808", true}, {"2002:7f00:1::1", true}, {"2001:0:4136:e378::1", true},
		{"8.8.8.8", false}, {"100.63.255.255", false}, {"100.128.0.0", false}, {"198.17.255.255", false}, {"198.20.0.0", false},
		{"2606:4700::1111", false}, {"::ffff:8.8.8.8", false},
	} {
		if got := Blocked(netip.MustParseAddr(c.addr)); got != c.want {
			t.Errorf("Blocked(%s) = %v, want %v", c.addr, got, c.want)
		}
	}
	if !Blocked(netip.Addr{}) {
		t.Error("the zero address is not blocked")
	}
	if Control("tcp", "8.8.8.8:443", nil) != nil || Control("tcp", "[::1]:443", nil) != ErrBlocked || Control("tcp", "nonsense", nil) != ErrBlocked {
		t.Error("Control")
	}
}

// The provider client guards typed URLs and every host the configuration
// does not name; the configuration's own hosts go unguarded (the demo's
// emulators on loopback), unless a request is marked as typed.
func TestProviderClientRoutes(t *testing.T) {
	c := NewProviderClient(time.Second, func(context.Context) bool { return false }, "http://127.0.0.1:9090", "https://api.zoom.us")
	r := c.Transport.(*router)
	for _, tc := range []struct {
		url    string
		typed  bool
		guards bool
	}{
		{"http://127.0.0.1:9090/v2/auth/token", false, false},
		{"http://127.0.0.1:9090/oauth2/token", true, true},
		{"http://127.0.0.1:9091/token", false, true},
		{"https://api.zoom.us/v2/users/me", false, false},
		{"https://API.zoom.us:443/oauth/token", false, false},
		{"http://169.254.169.254/latest", false, true},
	} {
		req := httptest.NewRequest("GET", tc.url, nil)
		if tc.typed {
			req = req.WithContext(Guard(req.Context()))
		}
		if guards := r.guards(req); guards != tc.guards {
			t.Errorf("%s (typed %v): guarded %v", tc.url, tc.typed, guards)
		}
	}
	if c.CheckRedirect(nil, nil) != http.ErrUseLastResponse {
		t.Error("the provider client follows redirects")
	}
}
