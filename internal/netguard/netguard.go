// Package netguard keeps requests that someone typed the address of (a
// webhook endpoint, an OAuth 2.0 Token URL) away from this machine and the
// networks behind it, unless an administrator allows private targets.
//
// The check runs as each connection is made (the dialer's Control), on
// the address actually dialled: a name that resolves to a public address
// when checked and to a private one when used (DNS rebinding) is refused
// too, and so is every address a name resolves to, one by one.
package netguard

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrBlocked is the refusal of a connection to a private address. It
// names no port and is the same whatever listens there (or does not), so
// it tells nothing about the private network.
var ErrBlocked = errors.New("the address is on this machine or a private network")

// blockedRanges are the ranges netip's predicates do not cover.
var blockedRanges = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"; 0.0.0.0 reaches this machine
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT; some clouds' metadata services
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking, used inside some networks
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and the broadcast address
	netip.MustParsePrefix("::/96"),          // IPv4-compatible IPv6 (deprecated)
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64: any IPv4 address, private ones too
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("100::/64"),       // discard-only
	netip.MustParsePrefix("2001::/32"),      // Teredo: tunnels to an IPv4 address
	netip.MustParsePrefix("2002::/16"),      // 6to4: embeds any IPv4 address
	netip.MustParsePrefix("fec0::/10"),      // site-local (deprecated)
}

// Blocked reports whether addr is loopback, private, link-local (cloud
// metadata at 169.254.169.254 included), multicast, unspecified, or in a
// range that reaches such an address (IPv4-mapped IPv6, NAT64, 6to4,
// Teredo) or that is not public (100.64.0.0/10, 198.18.0.0/15, 0.0.0.0/8).
func Blocked(addr netip.Addr) bool {
	if !addr.IsValid() {
		return true
	}
	addr = addr.WithZone("")
	if addr.Is4In6() {
		addr = addr.Unmap()
	}
	if addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsMulticast() || addr.IsUnspecified() {
		return true
	}
	for _, p := range blockedRanges {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// Control is a net.Dialer Control that refuses blocked addresses with
// ErrBlocked before anything is sent to them.
func Control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || Blocked(ap.Addr()) {
		return ErrBlocked
	}
	return nil
}

type guardKey struct{}

// Guard marks a request's context: the request goes where a person typed,
// so the client's guard applies to it.
func Guard(ctx context.Context) context.Context { return context.WithValue(ctx, guardKey{}, true) }

// Guarded reports whether ctx was marked by Guard.
func Guarded(ctx context.Context) bool { v, _ := ctx.Value(guardKey{}).(bool); return v }

// AllowFunc says whether an administrator allows private targets now.
type AllowFunc func(ctx context.Context) bool

// NewTransport is a transport whose every connection is checked with
// Control. It uses no proxy from the environment: a proxy would make the
// connection to the target itself, past the check.
func NewTransport(timeout time.Duration) *http.Transport {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: Control}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       time.Minute,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
}

// NewProviderClient is the client for calls to the services tokens come
// from. A request goes through a guarded transport, unless allow says
// private targets are allowed, when it was marked with Guard (its URL was
// typed on a form) or when its host is not one of trusted (the services'
// own URLs, set in the server's configuration): so a URL a service hands
// back (an instance_url, an api_url) is guarded too. Only the
// configuration's hosts, unmarked, go through an ordinary transport. The
// two never share a connection, so a connection opened while private
// targets were allowed, or for the configuration's own URL, is never
// reused for another. No redirect is ever followed: a token request
// carries the client's secret, which a redirect would send on to wherever
// it points; the 3xx comes back as the answer.
func NewProviderClient(timeout time.Duration, allow AllowFunc, trusted ...string) *http.Client {
	plain := http.DefaultTransport.(*http.Transport).Clone()
	plain.ResponseHeaderTimeout = timeout
	r := &router{plain: plain, guarded: NewTransport(timeout), allow: allow, trusted: map[string]bool{}}
	for _, raw := range trusted {
		if u, err := url.Parse(raw); err == nil && u.Host != "" {
			r.trusted[hostPort(u)] = true
		}
	}
	return &http.Client{
		Timeout:       timeout,
		Transport:     r,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// hostPort is u's host and port, the scheme's default port written out.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if strings.EqualFold(u.Scheme, "https") {
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

type router struct {
	plain, guarded *http.Transport
	allow          AllowFunc
	trusted        map[string]bool
}

func (r *router) RoundTrip(req *http.Request) (*http.Response, error) {
	if r.guards(req) {
		return r.guarded.RoundTrip(req)
	}
	return r.plain.RoundTrip(req)
}

// guards reports whether req goes through the guarded transport.
func (r *router) guards(req *http.Request) bool {
	ctx := req.Context()
	return (Guarded(ctx) || !r.trusted[hostPort(req.URL)]) && (r.allow == nil || !r.allow(ctx))
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach both.
func (r *router) CloseIdleConnections() {
	r.plain.CloseIdleConnections()
	r.guarded.CloseIdleConnections()
}
