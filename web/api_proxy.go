package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/connwatch"
	"github.com/tokendesk/tokendesk/internal/engine"
	"github.com/tokendesk/tokendesk/internal/netguard"
)

// The proxy (issue 22 item 1): an app calls /api/v1/proxy/{name}/{path…}
// with its API client key, and tokendesk forwards the call to the token's
// API Base URL with the access token, so that the app never holds the
// credential. The key, rate limit and Permission Settings are a fetch's
// (engine.Proxy); httputil.ReverseProxy does the forwarding, streaming
// both bodies and dropping hop-by-hop headers.

const (
	proxyPrefix = "/api/v1/proxy/"
	// proxyRoute and proxyRootRoute are the proxy's routes, for the
	// metrics and the log.
	proxyRoute     = proxyPrefix + ":name/*"
	proxyRootRoute = proxyPrefix + ":name"
	// proxyReplay is the largest request body kept to be sent again after
	// a renewal: a larger one streams and is not retried.
	proxyReplay = 1 << 20
	// RenewedHeader is on a 401 passed back after the token was renewed:
	// the app may send the call again (its body could not be replayed), or
	// the service refused the new token too.
	RenewedHeader = "Tokendesk-Token-Renewed"
	// proxyCSP keeps whatever a service answers from running as a page of
	// tokendesk's origin.
	proxyCSP = "sandbox; default-src 'none'; frame-ancestors 'none'"
)

// proxyMethods are the methods the proxy forwards: a service's REST API
// needs no others.
var proxyMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}

func init() {
	// The proxy authenticates with API client keys, like a fetch.
	for _, m := range proxyMethods {
		PublicRoutes[m+" "+proxyRoute] = true
		PublicRoutes[m+" "+proxyRootRoute] = true
	}
}

var proxyCSPValue = []string{proxyCSP}

// proxyCall is a proxied request's state, in its context.
type proxyCall struct {
	*engine.ProxyCall
	// rest is the escaped path after the token's name ("" for none), with
	// its leading slash.
	rest string
	// body is the request body when it can be sent again (nil: none, or
	// too large); replay says which.
	body   []byte
	replay bool
	method string
}

type proxyCallKey struct{}

// newProxy is the proxy's ReverseProxy and transport. Like every provider
// call, a call to any host but the services' configured ones reaches no
// loopback, private or link-local address unless an administrator allows
// it (TOKENDESK_ALLOW_PRIVATE_TARGETS, or Settings), so that an API Base
// URL a designer typed cannot reach into tokendesk's network.
func (s *Server) newProxy() *httputil.ReverseProxy {
	plain := http.DefaultTransport.(*http.Transport).Clone()
	plain.MaxIdleConnsPerHost = 256
	plain.ResponseHeaderTimeout = 2 * time.Minute
	guarded := plain.Clone()
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: netguard.Control}
	guarded.DialContext = d.DialContext
	guarded.Proxy = nil
	trusted := map[string]bool{}
	for _, raw := range s.Config.ProviderURLs {
		if u, err := url.Parse(raw); err == nil && u.Host != "" {
			trusted[hostPortOf(u)] = true
		}
	}
	tr := &proxyTransport{s: s, plain: plain, guarded: guarded, trusted: trusted}
	return &httputil.ReverseProxy{
		Rewrite:   proxyRewrite,
		Transport: tr,
		// Bodies of unknown length (and event streams) are flushed as they
		// come (ReverseProxy does so by itself); others pass through its
		// buffers, never held whole: flushing every write cost the tail.
		FlushInterval:  0,
		ModifyResponse: s.proxyResponse,
		ErrorHandler:   s.proxyError,
		ErrorLog:       nil,
		BufferPool:     &proxyBuffers{},
	}
}

// hostPortOf is u's host and port, the port said even when it is the
// scheme's.
func hostPortOf(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if strings.EqualFold(u.Scheme, "https") {
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// proxyToken is ANY /api/v1/proxy/{name}/{path…}.
func (s *Server) proxyToken(c echo.Context) error {
	in := c.Request()
	w := c.Response()
	w.Header()[headerCacheControl] = noStoreValue
	w.Header()["Content-Security-Policy"] = proxyCSPValue
	w.Header().Del("Referrer-Policy")
	name, rest, msg := proxyPath(in.URL.EscapedPath())
	if msg != "" {
		return writeAPIError(c, http.StatusBadRequest, "bad_path", msg)
	}
	r := apiRequest(c)
	r.Name = name
	call, err := s.engine.Proxy(in.Context(), r)
	if err != nil {
		return apiRefusal(c, err)
	}
	// A call through the proxy takes as long as the service and the app
	// take: the server's limit on answering a request (tokendesk serve's
	// connection watch; a server's read and write timeouts), made for
	// pages and fetches, would cut a long upload or download short. The
	// app going away still ends it (and cancels the call upstream).
	connwatch.Lift(in.Context())
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	pc := &proxyCall{ProxyCall: call, rest: rest, method: in.Method}
	if err := pc.bufferBody(in); err != nil {
		return nil // the app went away while sending: nobody to answer
	}
	s.proxy.ServeHTTP(w, in.WithContext(context.WithValue(in.Context(), proxyCallKey{}, pc)))
	return nil
}

// bufferBody keeps a body of up to proxyReplay bytes to send it again
// after a renewal; a larger one streams on as it comes.
func (pc *proxyCall) bufferBody(in *http.Request) error {
	if in.Body == nil || in.Body == http.NoBody || in.ContentLength == 0 {
		pc.replay = true
		return nil
	}
	if in.ContentLength > proxyReplay {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(in.Body, proxyReplay+1))
	if err != nil {
		return err
	}
	if len(b) <= proxyReplay {
		pc.body, pc.replay = b, true
		in.Body = io.NopCloser(bytes.NewReader(b))
		in.ContentLength = int64(len(b))
		in.TransferEncoding = nil
		return nil
	}
	in.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), in.Body), in.Body}
	return nil
}

// proxyPath splits a proxy request's escaped path into the token's name
// and the rest, refusing (msg) any rest that could leave the API Base
// URL's path or origin: dot segments (escaped too), empty segments (a
// protocol-relative //host), backslashes and escaped slashes (which some
// servers read as separators), control characters.
func proxyPath(escaped string) (name, rest, msg string) {
	tail, ok := strings.CutPrefix(escaped, proxyPrefix)
	if !ok {
		return "", "", "Call the proxy as /api/v1/proxy/{token name}/{path}."
	}
	nameEsc, after, hasRest := strings.Cut(tail, "/")
	name, err := url.PathUnescape(nameEsc)
	if err != nil || name == "" {
		return "", "", "Call the proxy as /api/v1/proxy/{token name}/{path}, the name URL-encoded."
	}
	if !hasRest {
		return name, "", ""
	}
	const leave = "The path cannot leave the token's API Base URL: no “.” or “..” segments, empty segments, backslashes or encoded slashes."
	lower := strings.ToLower(after)
	if strings.Contains(after, `\`) || strings.Contains(lower, "%5c") || strings.Contains(lower, "%2f") {
		return "", "", leave
	}
	segs := strings.Split(after, "/")
	for i, seg := range segs {
		if seg == "" {
			if i == len(segs)-1 {
				break // a trailing slash is the service's business
			}
			return "", "", leave
		}
		dec, err := url.PathUnescape(seg)
		if err != nil {
			return "", "", "The path is not validly URL-encoded."
		}
		if dec == "." || dec == ".." || strings.ContainsFunc(dec, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return "", "", leave
		}
	}
	return name, "/" + after, ""
}

// proxyRewrite points the outgoing request at the token's API and strips
// what the app sent for tokendesk: its key, its cookies. (ReverseProxy
// has dropped the hop-by-hop headers and X-Forwarded-* already.)
func proxyRewrite(pr *httputil.ProxyRequest) {
	pc := pr.In.Context().Value(proxyCallKey{}).(*proxyCall)
	base := pc.Base
	raw := base.EscapedPath() + pc.rest
	p, _ := url.PathUnescape(raw) // proxyPath checked it
	pr.Out.URL = &url.URL{Scheme: base.Scheme, Host: base.Host, Path: p, RawPath: raw, RawQuery: pr.In.URL.RawQuery}
	pr.Out.Host = ""
	h := pr.Out.Header
	for _, k := range []string{"Authorization", "Proxy-Authorization", "Cookie", "Forwarded", echo.HeaderXRealIP} {
		delete(h, k)
	}
	present(h, pc.ProxyCall)
}

// present puts the access token where the service reads it.
func present(h http.Header, call *engine.ProxyCall) {
	if call.Header != "" {
		h.Set(call.Header, call.Access)
		return
	}
	h.Set("Authorization", "Bearer "+call.Access)
}

// proxyResponse passes the service's answer on: counted in the read
// audit, its cookies and every other header that would act on
// tokendesk's origin dropped (dropOriginHeaders), sandboxed, and marked when the token was renewed on the way.
func (s *Server) proxyResponse(res *http.Response) error {
	pc := res.Request.Context().Value(proxyCallKey{}).(*proxyCall)
	s.engine.ProxyDone(pc.ProxyCall, pc.method, res.StatusCode)
	dropOriginHeaders(res.Header) // cookies, CSP, Clear-Site-Data, CORS… (api_proxy_headers.go)
	if pc.Renewed {
		res.Header.Set(RenewedHeader, "true")
	}
	return nil
}

// proxyError answers what kept a call from the service as the runtime
// API's JSON: a refusal of the renewal (a revoked grant), a blocked
// address, the service unreachable. The error's text, which may hold the
// URL, is logged, never answered.
func (s *Server) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	pc := r.Context().Value(proxyCallKey{}).(*proxyCall)
	h := w.Header()
	h["Content-Type"] = jsonContentType
	var ref *engine.Refusal
	switch {
	case errors.As(err, &ref):
		if ra := ref.RetryAfter(); ra != "" {
			h.Set("Retry-After", ra)
		}
		w.WriteHeader(ref.Status)
		w.Write(ref.Body())
		return
	case r.Context().Err() != nil:
		// The app went away: the call upstream was cancelled with it.
		s.engine.ProxyDone(pc.ProxyCall, pc.method, 499)
		w.WriteHeader(499)
		return
	case errors.Is(err, netguard.ErrBlocked):
		s.engine.ProxyDone(pc.ProxyCall, pc.method, http.StatusForbidden)
		w.WriteHeader(http.StatusForbidden)
		w.Write(engine.ErrorJSON("private_target", fmt.Sprintf("The API Base URL of “%s” is on this machine or a private network; "+
			"an administrator can allow private targets in Settings.", truncateRunes(pc.Name, 100))))
		return
	}
	s.Logger.WarnContext(r.Context(), "proxy call failed", "host", pc.Base.Host, "err", proxyFailureCause(err))
	s.engine.ProxyDone(pc.ProxyCall, pc.method, http.StatusBadGateway)
	w.WriteHeader(http.StatusBadGateway)
	w.Write(engine.ErrorJSON("bad_gateway", fmt.Sprintf("The service at %s could not be reached or did not answer.", pc.Base.Host)))
}

// proxyTransport sends a proxied call, guarded as newProxy says, and on a
// 401 to the current access token renews it once and sends the call
// again once when its body can be replayed.
type proxyTransport struct {
	s              *Server
	plain, guarded *http.Transport
	trusted        map[string]bool
}

func (t *proxyTransport) send(req *http.Request) (*http.Response, error) {
	if t.trusted[hostPortOf(req.URL)] || t.s.Config.AllowPrivateTargets || t.s.Store.ProvidersAllowPrivate(req.Context()) {
		return t.plain.RoundTrip(req)
	}
	return t.guarded.RoundTrip(req)
}

func (t *proxyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	pc := req.Context().Value(proxyCallKey{}).(*proxyCall)
	res, err := t.send(req)
	if err != nil || res.StatusCode != http.StatusUnauthorized || pc.Renewed {
		return res, err
	}
	// The service refused the access token: renewed once, across
	// requests and replicas, within the refresh call's limits.
	if err := t.s.engine.RenewRejected(req.Context(), pc.ProxyCall); err != nil {
		res.Body.Close()
		return nil, err
	}
	if !pc.replay {
		return res, nil // the 401, marked renewed: the app sends it again
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	again := req.Clone(req.Context())
	again.Header = req.Header.Clone()
	present(again.Header, pc.ProxyCall)
	again.Body = nil
	if pc.body != nil {
		again.Body = io.NopCloser(bytes.NewReader(pc.body))
	}
	return t.send(again)
}

// proxyOutcome says a proxied call's read audit outcome (after
// engine.ProxyPrefix) for people: "Proxied GET: 2xx", or why not.
func proxyOutcome(rest string) string {
	if method, class, ok := strings.Cut(rest, "_"); ok && len(class) == 3 && strings.HasSuffix(class, "xx") && strings.ToUpper(method) == method {
		return "Proxied " + method + ": " + class
	}
	if rest == engine.ReadRefreshed {
		return "Proxied call: token renewed after the service refused it"
	}
	return "Proxied call " + strings.ToLower(readOutcome(rest)[:1]) + readOutcome(rest)[1:]
}
