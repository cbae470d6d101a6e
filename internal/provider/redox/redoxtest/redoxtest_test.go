package redoxtest

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, url, contentType, body string, header ...string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

var (
	uuidRE    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	expiresRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$`)
)

// The documented wire format, byte for byte where the docs pin it.
func TestWireFormat(t *testing.T) {
	s, base := Start(t)
	now := time.Date(2015, 3, 24, 20, 52, 35, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	s.AddKey("key-1", "secret-1")

	status, body, hdr := post(t, base+"/auth/authenticate", "application/json", `{"apiKey":"key-1","secret":"secret-1"}`)
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("authenticate: %d %s", status, body)
	}
	var tok map[string]string
	if err := json.Unmarshal([]byte(body), &tok); err != nil || len(tok) != 3 {
		t.Fatalf("answer %s: want exactly accessToken, expires, refreshToken", body)
	}
	if !uuidRE.MatchString(tok["accessToken"]) || !uuidRE.MatchString(tok["refreshToken"]) {
		t.Errorf("tokens are not UUIDs: %v", tok)
	}
	if tok["expires"] != "2015-03-25T20:52:35.000Z" || !expiresRE.MatchString(tok["expires"]) {
		t.Errorf("expires %q: want absolute now+24h with milliseconds and Z", tok["expires"])
	}

	// The token works on /endpoint until it expires.
	meta := `{"Meta":{"DataModel":"PatientAdmin","EventType":"NewPatient","Test":true,"Destinations":[{"ID":"d1","Name":"Redox EMR"}]}}`
	status, body, _ = post(t, base+"/endpoint", "application/json", meta, "Authorization", "Bearer "+tok["accessToken"])
	if status != 200 || !strings.Contains(body, `"Logs":[{"AttemptID"`) || !strings.Contains(body, `"DataModel":"PatientAdmin"`) {
		t.Fatalf("endpoint: %d %s", status, body)
	}
	status, body, _ = post(t, base+"/endpoint", "application/json", `{"Meta":{"DataModel":"PatientAdmin","Destinations":[]}}`, "Authorization", "Bearer "+tok["accessToken"])
	if status != 200 || !strings.Contains(body, `"Module":"Subscriptions"`) {
		t.Fatalf("endpoint without destinations: %d %s", status, body)
	}
	now = now.Add(24*time.Hour + time.Second)
	if status, _, _ = post(t, base+"/endpoint", "application/json", meta, "Authorization", "Bearer "+tok["accessToken"]); status != 401 {
		t.Fatalf("expired token: %d", status)
	}

	// Refresh: a new token, +24h again, and the refresh token rotates.
	status, body, _ = post(t, base+"/auth/refreshToken", "application/json", `{"apiKey":"key-1","refreshToken":"`+tok["refreshToken"]+`"}`)
	var next map[string]string
	json.Unmarshal([]byte(body), &next)
	if status != 200 || next["accessToken"] == tok["accessToken"] || next["expires"] != "2015-03-26T20:52:36.000Z" {
		t.Fatalf("refresh: %d %s", status, body)
	}
	// Whether a used refresh token stays valid is undocumented: it does by
	// default, and a knob makes them single-use.
	if status, _, _ = post(t, base+"/auth/refreshToken", "application/json", `{"apiKey":"key-1","refreshToken":"`+tok["refreshToken"]+`"}`); status != 200 {
		t.Fatalf("used refresh token refused by default: %d", status)
	}
	s.SetSingleUseRefresh(true)
	status, body, _ = post(t, base+"/auth/refreshToken", "application/json", `{"apiKey":"key-1","refreshToken":"`+next["refreshToken"]+`"}`)
	json.Unmarshal([]byte(body), &next)
	if status != 200 {
		t.Fatalf("refresh: %d", status)
	}
	if status, _, _ = post(t, base+"/auth/refreshToken", "application/json", `{"apiKey":"key-1","refreshToken":"`+tok["refreshToken"]+`"}`); status != 200 {
		t.Fatalf("a refresh token used before the knob: %d", status)
	}
	if status, _, _ = post(t, base+"/auth/refreshToken", "application/json", `{"apiKey":"key-1","refreshToken":"`+tok["refreshToken"]+`"}`); status != 401 {
		t.Fatalf("used refresh token accepted again with single-use on: %d", status)
	}
	if status, _, _ = post(t, base+"/auth/refreshToken", "application/json", `{"apiKey":"other","refreshToken":"`+next["refreshToken"]+`"}`); status != 401 {
		t.Fatalf("refresh token accepted for another key: %d", status)
	}
}

func TestRejections(t *testing.T) {
	s, base := Start(t)
	s.AddKey("key-1", "secret-1")
	for _, tc := range []struct {
		name, ct, body string
		status         int
		text           string
	}{
		{"wrong secret", "application/json", `{"apiKey":"key-1","secret":"nope"}`, 401, "Invalid request"},
		{"unknown key", "application/json", `{"apiKey":"key-2","secret":"secret-1"}`, 401, "Invalid request"},
		{"snake_case fields", "application/json", `{"api_key":"key-1","secret":"secret-1"}`, 400, "Invalid request"},
		{"extra field", "application/json", `{"apiKey":"key-1","secret":"secret-1","grant_type":"x"}`, 400, "Invalid request"},
		{"form encoded", "application/x-www-form-urlencoded", `apiKey=key-1&secret=secret-1`, 400, "Invalid request"},
		{"no content type", "", `{"apiKey":"key-1","secret":"secret-1"}`, 400, "Invalid request"},
		{"malformed JSON", "application/json", `{"apiKey":`, 400, "Invalid request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, hdr := post(t, base+"/auth/authenticate", tc.ct, tc.body)
			if status != tc.status || strings.TrimSpace(body) != tc.text {
				t.Fatalf("%d %q", status, body)
			}
			if status == 401 && !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
				t.Fatalf("401 content type %q", hdr.Get("Content-Type"))
			}
		})
	}
	s.Revoke("key-1")
	if status, _, _ := post(t, base+"/auth/authenticate", "application/json", `{"apiKey":"key-1","secret":"secret-1"}`); status != 401 {
		t.Fatalf("revoked key: %d", status)
	}
	resp, _ := http.Get(base + "/auth/authenticate")
	if resp.StatusCode != 405 {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
}

func TestFaults(t *testing.T) {
	s, base := Start(t)
	s.AddKey("k", "s")
	s.SetFault(Fail500)
	if status, _, _ := post(t, base+"/auth/authenticate", "application/json", `{"apiKey":"k","secret":"s"}`); status != 500 {
		t.Fatalf("Fail500: %d", status)
	}
	s.SetFault(Malformed)
	if _, body, _ := post(t, base+"/auth/authenticate", "application/json", `{"apiKey":"k","secret":"s"}`); json.Valid([]byte(body)) {
		t.Fatalf("Malformed answered valid JSON: %s", body)
	}
	s.SetFault(Hang)
	client := &http.Client{Timeout: 200 * time.Millisecond}
	if _, err := client.Post(base+"/auth/authenticate", "application/json", strings.NewReader(`{}`)); err == nil {
		t.Fatal("Hang answered")
	}
	if s.Calls("/auth/authenticate") != 3 {
		t.Fatalf("calls %d", s.Calls("/auth/authenticate"))
	}
}
