package client

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Transport is an http.RoundTripper that calls a service with the token
// called Name: it sets the request's Authorization header to the current
// token (from Client.Token), and when the service answers 401 it reports
// the token (Client.Refresh) and sends the request once more with the
// token Refresh returns, if the request can be sent again (no body, or a
// GetBody, as http.NewRequest sets for bytes, strings and bytes.Buffer
// bodies). A request whose body cannot be replayed gets the service's 401;
// the token is reported all the same, so the next request has a working
// one.
//
// The token goes only to the origin (scheme, host and port) of the
// request the caller sent: a redirect to another one is followed without
// it.
//
// If tokendesk refuses (the token needs reconnecting in the console, say),
// RoundTrip returns its *Error, which names what to do.
//
//	svc := &http.Client{Transport: &client.Transport{Client: td, Name: "Lab Feed"}}
//
// A service that takes its token in another header than Authorization
// (Shopify's X-Shopify-Access-Token) names it in Header. The runtime API
// does not say how a token is presented (its token_type is "Bearer"
// whatever the service): the console's catalogue says it for each
// service.
type Transport struct {
	Client *Client
	Name   string
	// Base sends the requests (http.DefaultTransport when nil).
	Base http.RoundTripper
	// Header is the request header the bare token goes in; "" sends
	// "Authorization: Bearer <token>".
	Header string
}

// Transport returns a Transport of name over base (nil: http.DefaultTransport).
func (c *Client) Transport(name string, base http.RoundTripper) *Transport {
	return &Transport{Client: c, Name: name, Base: base}
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !sameOrigin(req.URL, firstOf(req).URL) {
		// A redirect to another host (or scheme, or port): http.Client
		// strips the Authorization header there for a reason, so the
		// token is not added back. The request goes as it is.
		return t.base().RoundTrip(req)
	}
	ctx := req.Context()
	tok, err := t.Client.Token(ctx, t.Name)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	resp, err := t.base().RoundTrip(t.authorized(req, tok))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	fresh, err := t.Client.Refresh(ctx, t.Name, tok.AccessToken)
	if err != nil {
		discard(resp)
		return nil, err
	}
	if !replayable {
		return resp, nil
	}
	again := t.authorized(req, fresh)
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			discard(resp)
			return nil, fmt.Errorf("tokendesk: sending the request again with a renewed %q: %w", t.Name, err)
		}
		again.Body = body
	}
	discard(resp)
	return t.base().RoundTrip(again)
}

// firstOf is the request that began req's chain of redirects (req itself
// when it is no redirect): http.Client sets Response on each request it
// sends after a redirect, and that Response's Request is the one before.
func firstOf(req *http.Request) *http.Request {
	for req.Response != nil && req.Response.Request != nil {
		req = req.Response.Request
	}
	return req
}

// sameOrigin says whether a and b have the same scheme, host and port.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

// authorized is a copy of req with tok in its Authorization header, or
// in Header (a RoundTripper must not change the request it is given).
func (t *Transport) authorized(req *http.Request, tok *Token) *http.Request {
	r := req.Clone(req.Context())
	if t.Header != "" {
		r.Header.Set(t.Header, tok.AccessToken)
		return r
	}
	r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return r
}

// discard reads a little of an answer that will not be used, so its
// connection can be reused, and closes it.
func discard(resp *http.Response) {
	io.CopyN(io.Discard, resp.Body, 4<<10)
	resp.Body.Close()
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
