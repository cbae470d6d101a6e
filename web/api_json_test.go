package web

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/engine"
)

// appendJSONString writes what encoding/json writes with HTML escaping
// off, byte for byte, for any string (controls, quotes, invalid UTF-8,
// U+2028).
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	want := func(s string) string {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		return strings.TrimSuffix(buf.String(), "\n")
	}
	cases := []string{"", "plain", `q"uo\te`, "<key> & </script>", "\x00\x01\b\f\n\r\t\x1f\x7f", "\u2028\u2029", "é€😀", "\xff\xfe bad", "a\xc3"}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "<", ">", "&", "\"", "\\", "\n", "\x00", "\x1f", "\x7f", "é", "\u2028", "\xff", "\xe2\x80", "😀"}
	for range 2000 {
		var sb strings.Builder
		for range r.IntN(12) {
			sb.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		cases = append(cases, sb.String())
	}
	for _, s := range cases {
		if got := string(engine.AppendJSONString(nil, s)); got != want(s) {
			t.Fatalf("%q: got %s, want %s", s, got, want(s))
		}
	}
}

// The runtime API writes <, > and & as they are (issue 18.19), in its
// errors (a missing key's advice, a name asked for) and in its answers.
func TestRuntimeAPIJSONIsNotHTMLEscaped(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	key := createClient(t, ts, "/clients", "Reader")
	status, _, body := apiRaw(t, ts, http.MethodGet, "/api/v1/tokens/x", "")
	if status != http.StatusUnauthorized || !strings.Contains(body, "Bearer <key>") || strings.Contains(body, `\u003c`) {
		t.Fatalf("%d %s", status, body)
	}
	status, _, body = apiRaw(t, ts, http.MethodGet, "/api/v1/tokens/"+url.PathEscape("<b>&"), key)
	if status != http.StatusNotFound || !strings.Contains(body, "<b>&") || strings.Contains(body, `\u00`) {
		t.Fatalf("%d %s", status, body)
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code != "not_found" {
		t.Fatalf("not the error JSON: %v %s", err, body)
	}
}

// A token's answer is the bytes encoding/json wrote before, <, > and &
// aside: the same fields in the same order, the provider's own after them.
func TestTokenAnswerBytes(t *testing.T) {
	exp := "2026-11-22T10:00:00Z"
	for _, a := range []engine.Answer{
		{Name: "Feed", Provider: "redox", Scope: "global", AccessToken: "abc", TokenType: "Bearer", ExpiresAt: &exp, With: [][2]string{{"source_id", "s<1>&"}, {"empty", ""}}},
		{Name: "Zoom \"x\"", Provider: "zoom-s2s", Scope: "app", AccessToken: "a\u2028<", TokenType: "bearer"},
	} {
		got, err := a.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		type fixed engine.Answer
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(fixed(a))
		want := strings.TrimSuffix(buf.String(), "\n")
		want = want[:len(want)-1]
		for _, kv := range a.With {
			if kv[1] != "" {
				want += "," + string(engine.AppendJSONString(nil, kv[0])) + ":" + string(engine.AppendJSONString(nil, kv[1]))
			}
		}
		want += "}"
		if string(got) != want {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	}
}

// apiRaw sends an API request with key (none if "") and returns the answer
// as it came.
func apiRaw(t *testing.T, ts *testServer, method, path, key string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, ts.http.URL+path, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

// Everything under /api/ answers the API's JSON, never the console's 303
// to its login page (issue 18.19): 401 without a key or with a bad one,
// 404 at an unknown address, 405 (with Allow) for a method an address
// does not take. Every answer forbids framing.
func TestRuntimeAPIAnswersJSONNeverARedirect(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	saveRedox(t, ts, "/tokens", "Feed")
	key := createClient(t, ts, "/clients", "Reader")
	for _, c := range []struct {
		method, path, key string
		status            int
		code              string
	}{
		{"GET", "/api/v1/tokens/Feed", "", 401, "unauthorized"},
		{"GET", "/api/v1/tokens/Feed", "tdk_not-a-key", 401, "unauthorized"},
		{"GET", "/api/v1/tokens/", "", 404, "not_found"},
		{"GET", "/api/v1/tokens", key, 404, "not_found"},
		{"GET", "/api/v1/nothing/here", "", 404, "not_found"},
		{"GET", "/api/v1", "", 404, "not_found"},
		{"GET", "/api/v2/tokens/Feed", key, 404, "not_found"},
		{"DELETE", "/api/v1/tokens/Feed", key, 405, "method_not_allowed"},
		{"PUT", "/api/v1/tokens/Feed", "", 405, "method_not_allowed"},
		{"POST", "/api/v1/openapi.json", "", 405, "method_not_allowed"},
	} {
		status, h, body := apiRaw(t, ts, c.method, c.path, c.key)
		var e struct {
			Error struct{ Code, Message string }
		}
		err := json.Unmarshal([]byte(body), &e)
		if status != c.status || err != nil || e.Error.Code != c.code || e.Error.Message == "" || h.Get("Location") != "" ||
			!strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: %d %q %s", c.method, c.path, status, h.Get("Location"), body)
		}
		if c.status == 405 && !strings.Contains(h.Get("Allow"), "GET") {
			t.Errorf("%s %s: Allow %q", c.method, c.path, h.Get("Allow"))
		}
		if h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s %s: framing allowed (%q, %q)", c.method, c.path, h.Get("X-Frame-Options"), h.Get("Content-Security-Policy"))
		}
	}
	status, h, _ := apiRaw(t, ts, "GET", "/api/v1/tokens/Feed", key)
	if status != 200 || h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("a fetch: %d, framing %q %q", status, h.Get("X-Frame-Options"), h.Get("Content-Security-Policy"))
	}
}
