package client

import (
	"net/http"
	"net/url"
	"strings"
)

// ProxyTransport is an http.RoundTripper that sends every request through
// tokendesk's proxy (/api/v1/proxy/{Name}/…) instead of to the service:
// the app never holds the access token. A request's path and query are
// taken as under the token's API Base URL; its scheme and host are
// ignored (tokendesk sends the call to the token's service only). The
// request carries the API client key; tokendesk adds the access token,
// renews it after a 401 and sends the call again when it can (the answer
// then has Tokendesk-Token-Renewed: true).
//
//	svc := &http.Client{Transport: td.ProxyTransport("Team Drive", nil)}
//	resp, err := svc.Get("https://api/files?pageSize=10") // → the token's API Base URL + /files?pageSize=10
type ProxyTransport struct {
	Client *Client
	Name   string
	// Base sends the requests to tokendesk (http.DefaultTransport when nil).
	Base http.RoundTripper
}

// ProxyTransport returns a ProxyTransport of name over base (nil:
// http.DefaultTransport).
func (c *Client) ProxyTransport(name string, base http.RoundTripper) *ProxyTransport {
	return &ProxyTransport{Client: c, Name: name, Base: base}
}

// RoundTrip implements http.RoundTripper.
func (t *ProxyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	target, err := url.Parse(t.Client.base + "/api/v1/proxy/" + url.PathEscape(t.Name))
	if err != nil {
		return nil, err
	}
	p := req.URL.EscapedPath()
	if p != "" && !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	target.RawPath = target.EscapedPath() + p
	if target.Path, err = url.PathUnescape(target.RawPath); err != nil {
		return nil, err
	}
	target.RawQuery = req.URL.RawQuery
	out := req.Clone(req.Context())
	out.URL, out.Host = target, ""
	out.Header.Set("Authorization", "Bearer "+t.Client.key)
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(out)
}
