package client

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// ProxyTransport sends a service call to tokendesk's proxy with the key:
// the path and query under the token's name, the body as it is.
func TestProxyTransportSendsCallsThroughTokendesk(t *testing.T) {
	var got *http.Request
	var body string
	td := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		w.Write([]byte(`{"ok":true}`))
	}))
	defer td.Close()
	c, err := New(td.URL+"/", "tdk_key")
	if err != nil {
		t.Fatal(err)
	}
	svc := &http.Client{Transport: c.ProxyTransport("Team Drive", nil)}
	resp, err := svc.Post("https://api.example/files/a%20b?x=1", "application/json", strings.NewReader(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got.URL.EscapedPath() != "/api/v1/proxy/Team%20Drive/files/a%20b" || got.URL.RawQuery != "x=1" ||
		got.Header.Get("Authorization") != "Bearer tdk_key" || body != `{"n":1}` || got.Method != http.MethodPost {
		t.Fatalf("tokendesk received %s %s?%s %q body %q", got.Method, got.URL.EscapedPath(), got.URL.RawQuery, got.Header.Get("Authorization"), body)
	}
}
