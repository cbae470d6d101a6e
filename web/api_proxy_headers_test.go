package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/store"
)

// A service's answer comes back on tokendesk's own origin: no header in
// it may act on the console (wipe its cookies, pin HSTS, open CORS, …).
// The app still gets the service's own headers and the sandbox CSP.
func TestAPIProxyDropsOriginAffectingHeaders(t *testing.T) {
	sent := map[string]string{
		"Set-Cookie":                          "svc=1",
		"Set-Cookie2":                         "svc=1",
		"Clear-Site-Data":                     `"cookies", "storage"`,
		"Strict-Transport-Security":           "max-age=63072000; includeSubDomains",
		"Alt-Svc":                             `h3=":443"`,
		"Service-Worker-Allowed":              "/",
		"Link":                                "</evil.css>; rel=preload; as=style",
		"Refresh":                             "0; url=https://evil.example/",
		"Access-Control-Allow-Origin":         "*",
		"Access-Control-Allow-Credentials":    "true",
		"Access-Control-Allow-Headers":        "Authorization",
		"Access-Control-Allow-Methods":        "DELETE",
		"Access-Control-Expose-Headers":       "*",
		"Content-Security-Policy":             "default-src *",
		"Content-Security-Policy-Report-Only": "default-src *; report-uri https://evil.example/r",
		"Origin-Agent-Cluster":                "?0",
		"Cross-Origin-Opener-Policy":          "unsafe-none",
		"Cross-Origin-Embedder-Policy":        "unsafe-none",
		"Cross-Origin-Resource-Policy":        "cross-origin",
		"Permissions-Policy":                  "camera=*",
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range sent {
			w.Header()[k] = []string{v}
		}
		w.Header().Set("X-Service", "kept")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(up.Close)
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	connectWithAPI(t, ts, emu, "Headers", up.URL+"/v1/")
	key := createClient(t, ts, "/clients", "Header job")
	if err := ts.store.SetSetting(context.Background(), store.SettingProvidersAllowPrivate, "true", adminEmail); err != nil {
		t.Fatal(err)
	}
	p := proxyDo(t, ts, key, "GET", "Headers/items", nil)
	if p.Status != http.StatusOK || p.Header.Get("X-Service") != "kept" {
		t.Fatalf("proxied GET: %d %v %s", p.Status, p.Header, p.Body)
	}
	for k, v := range sent {
		for _, got := range p.Header.Values(k) {
			if got == v {
				t.Errorf("the service's %s: %s reached the console's origin", k, v)
			}
		}
	}
	if csp := p.Header.Values("Content-Security-Policy"); len(csp) != 1 || csp[0] != proxyCSP {
		t.Errorf("Content-Security-Policy %q, want only the sandbox %q", csp, proxyCSP)
	}
}

// An upstream failure is logged with the service's host and the cause,
// never the URL: the app's query string may carry a secret of its own.
func TestAPIProxyFailureLogHoldsNoQueryString(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	base := gone.URL
	gone.Close() // nothing listens there any more
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	connectWithAPI(t, ts, emu, "Gone", base+"/v1/")
	key := createClient(t, ts, "/clients", "Gone job")
	if err := ts.store.SetSetting(context.Background(), store.SettingProvidersAllowPrivate, "true", adminEmail); err != nil {
		t.Fatal(err)
	}
	const secret = "app-query-secret-5b2e"
	p := proxyDo(t, ts, key, "GET", "Gone/items?api_key="+secret, nil)
	if p.Status != http.StatusBadGateway || strings.Contains(p.Body, secret) {
		t.Fatalf("a call to an unreachable service: %d %s", p.Status, p.Body)
	}
	logs := ts.logs.String()
	if !strings.Contains(logs, "proxy call failed") || !strings.Contains(logs, strings.TrimPrefix(base, "http://")) {
		t.Fatalf("the failure is not logged with the service's host:\n%s", logs)
	}
	if strings.Contains(logs, secret) || strings.Contains(logs, "/v1/items") {
		t.Fatalf("the log holds the upstream URL or the app's query string:\n%s", logs)
	}
}

// A transport error that carries the request's URL (a *url.Error, as an
// http.Client or a wrapping RoundTripper returns) is logged by its cause
// only.
func TestProxyFailureCauseDropsTheURL(t *testing.T) {
	const secret = "app-query-secret-9d41"
	cause := errors.New("read: connection reset by peer")
	err := fmt.Errorf("renewing: %w", &url.Error{Op: "Get", URL: "https://api.example/v1/items?api_key=" + secret,
		Err: &url.Error{Op: "Get", URL: "https://api.example/v1/items?api_key=" + secret, Err: cause}})
	got := proxyFailureCause(err)
	if strings.Contains(got.Error(), secret) || strings.Contains(got.Error(), "/v1/items") || got != cause {
		t.Fatalf("logged %q, want only the cause %q", got, cause)
	}
	if plain := errors.New("dial tcp 127.0.0.1:1: connect: connection refused"); proxyFailureCause(plain) != plain {
		t.Fatal("an error without a URL is not logged as it is")
	}
}
