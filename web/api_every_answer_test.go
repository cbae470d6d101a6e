package web

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// Issue 22: every answer under /api/v1/ is the API's JSON error or a
// token, never a redirect or an HTML page, whatever goes wrong: no key or
// a session cookie instead of one, an address or a method the API does not
// have, a body too large; and every error code is one openapi.json lists.
// Sent by the browser's own client (its session cookie), through the real
// router and middleware.
func TestEveryAPIAnswerIsJSON(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	saveRedox(t, ts, "/tokens", "Feed")
	key := createClient(t, ts, "/clients", "Reader")
	var doc struct {
		Components struct {
			Schemas struct {
				Error struct {
					Properties struct {
						Error struct {
							Properties struct {
								Code struct{ Enum []string } `json:"code"`
							} `json:"properties"`
						} `json:"error"`
					} `json:"properties"`
				} `json:"Error"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(ts.get("/api/v1/openapi.json").Body), &doc); err != nil {
		t.Fatal(err)
	}
	documented := doc.Components.Schemas.Error.Properties.Error.Properties.Code.Enum
	huge := strings.Repeat("x", 2<<20)
	for _, c := range []struct {
		method, path, key, body string
		status                  int
		code                    string
	}{
		{"GET", "/api/v1/tokens/Feed", "", "", 401, "unauthorized"}, // signed in to the console, but no key
		{"POST", "/api/v1/tokens/Feed/refresh", "", `{"rejected_token":"x"}`, 401, "unauthorized"},
		{"GET", "/api/v1/tokens/Feed/", key, "", 404, "not_found"},
		{"GET", "/api/v1/tokens/Feed/extra/segments", key, "", 404, "not_found"},
		{"POST", "/api/v1/no/such/address", "", "{}", 404, "not_found"},
		{"GET", "/api/", "", "", 404, "not_found"},
		{"HEAD", "/api/v1/tokens/Feed", key, "", 405, "method_not_allowed"},
		{"OPTIONS", "/api/v1/tokens/Feed", key, "", 405, "method_not_allowed"},
		{"GET", "/api/v1/tokens/Feed/refresh", key, "", 405, "method_not_allowed"},
		{"POST", "/api/v1/tokens/Feed/refresh", key, `{"rejected_token":"` + huge + `"}`, 413, "too_large"},
		{"POST", "/api/v1/tokens/Feed/refresh", key, `not json`, 400, "bad_request"},
	} {
		req, _ := http.NewRequest(c.method, ts.http.URL+c.path, strings.NewReader(c.body))
		if c.key != "" {
			req.Header.Set("Authorization", "Bearer "+c.key)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := ts.client.Do(req) // with the console's session cookie
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct {
			Error struct{ Code, Message string }
		}
		jsonErr := json.Unmarshal(raw, &e)
		if c.method == "HEAD" {
			jsonErr, e.Error.Code, e.Error.Message = nil, c.code, "no body"
		}
		if resp.StatusCode != c.status || jsonErr != nil || e.Error.Code != c.code || e.Error.Message == "" ||
			resp.Request.URL.Path != c.path || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: %d %q at %s: %.200s", c.method, c.path, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Request.URL.Path, raw)
		}
		if !slices.Contains(documented, c.code) {
			t.Errorf("%s %s: code %q is not in openapi.json", c.method, c.path, c.code)
		}
		if strings.Contains(strings.ToLower(e.Error.Message), "form") {
			t.Errorf("%s %s: the message speaks of a form: %q", c.method, c.path, e.Error.Message)
		}
	}
}
