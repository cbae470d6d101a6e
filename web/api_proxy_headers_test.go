package web

import (
	"context"
	"net/http"
	"net/http/httptest"
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
