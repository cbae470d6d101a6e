package zoomtest

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func call(t *testing.T, method, u string, body io.Reader, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, u, body)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

func setup(t *testing.T) (*Server, string, *time.Time) {
	s, base := Start(t)
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	s.AddAccount(User{ID: "u1", FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com", AccountID: "acc-1"})
	s.AddJWTApp("acc-1", "jwt-key", "jwt-secret")
	s.AddS2SApp("acc-1", "client-1", "client-secret")
	return s, base, &now
}

// Real Zoom refuses every JWT app token since September 2023, and so does
// the emulator unless a test of the legacy screen turns them back on.
func TestJWTAppsAreRefusedByDefault(t *testing.T) {
	_, base, now := setup(t)
	good := sign(t, jwt.SigningMethodHS256, []byte("jwt-secret"), jwt.MapClaims{"iss": "jwt-key", "exp": now.Add(time.Minute).Unix()})
	status, body := call(t, "GET", base+"/v2/users/me", nil, map[string]string{"Authorization": "Bearer " + good})
	if status != 401 || body["code"] != float64(124) {
		t.Fatalf("a JWT by default: %d %v", status, body)
	}
}

func TestScopesAndThrottling(t *testing.T) {
	s, base, _ := setup(t)
	form := "grant_type=account_credentials&account_id=acc-1"
	hdr := map[string]string{"Authorization": basic("client-1", "client-secret"), "Content-Type": "application/x-www-form-urlencoded"}
	s.SetScopes("client-1", "meeting:write:admin")
	status, tok := call(t, "POST", base+"/oauth/token", strings.NewReader(form), hdr)
	if status != 200 || tok["scope"] != "meeting:write:admin" {
		t.Fatalf("token: %d %v", status, tok)
	}
	status, me := call(t, "GET", base+"/v2/users/me", nil, map[string]string{"Authorization": "Bearer " + tok["access_token"].(string)})
	if status != 400 || me["code"] != float64(4711) {
		t.Fatalf("me without user-read scope: %d %v", status, me)
	}

	s.SetFault(Throttle)
	req, _ := http.NewRequest("GET", base+"/v2/users/me", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "30" || resp.Header.Get("X-RateLimit-Category") == "" ||
		resp.Header.Get("X-RateLimit-Type") == "" || resp.Header.Get("X-RateLimit-Limit") == "" || resp.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("throttled: %d %v", resp.StatusCode, resp.Header)
	}
}

func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestJWTApps(t *testing.T) {
	s, base, now := setup(t)
	s.SetDeprecated(false) // the legacy screen's tests: JWTs as Zoom took them before 2023
	me := base + "/v2/users/me"
	exp := now.Add(time.Minute).Unix()
	good := sign(t, jwt.SigningMethodHS256, []byte("jwt-secret"), jwt.MapClaims{"iss": "jwt-key", "exp": exp})

	status, body := call(t, "GET", me, nil, map[string]string{"Authorization": "Bearer " + good})
	if status != 200 || body["email"] != "ada@example.com" || body["account_id"] != "acc-1" || body["first_name"] != "Ada" {
		t.Fatalf("me: %d %v", status, body)
	}
	// The old v2 docs also allow the token as a query parameter.
	if status, _ := call(t, "GET", me+"?access_token="+good, nil, nil); status != 200 {
		t.Fatalf("query token: %d", status)
	}
	status, body = call(t, "GET", base+"/v2/users?status=active&page_size=1", nil, map[string]string{"Authorization": "Bearer " + good})
	if status != 200 || body["page_size"] != float64(1) || body["total_records"] != float64(1) || len(body["users"].([]any)) != 1 {
		t.Fatalf("users: %d %v", status, body)
	}
	// exp in milliseconds, as the docs' own example has it, is accepted.
	ms := sign(t, jwt.SigningMethodHS256, []byte("jwt-secret"), jwt.MapClaims{"iss": "jwt-key", "exp": now.Add(time.Minute).UnixMilli()})
	if status, _ := call(t, "GET", me, nil, map[string]string{"Authorization": "Bearer " + ms}); status != 200 {
		t.Fatalf("exp in ms: %d", status)
	}

	for name, tc := range map[string]struct {
		token, msg string
	}{
		"wrong secret":  {sign(t, jwt.SigningMethodHS256, []byte("nope"), jwt.MapClaims{"iss": "jwt-key", "exp": exp}), "Invalid access token."},
		"unknown iss":   {sign(t, jwt.SigningMethodHS256, []byte("jwt-secret"), jwt.MapClaims{"iss": "other", "exp": exp}), "Invalid access token."},
		"HS512":         {sign(t, jwt.SigningMethodHS512, []byte("jwt-secret"), jwt.MapClaims{"iss": "jwt-key", "exp": exp}), "Invalid access token."},
		"no exp":        {sign(t, jwt.SigningMethodHS256, []byte("jwt-secret"), jwt.MapClaims{"iss": "jwt-key"}), "Invalid access token."},
		"expired":       {sign(t, jwt.SigningMethodHS256, []byte("jwt-secret"), jwt.MapClaims{"iss": "jwt-key", "exp": now.Add(-time.Second).Unix()}), "Access token is expired."},
		"not a JWT":     {"garbage", "Invalid access token."},
		"alg none":      {sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"iss": "jwt-key", "exp": exp}), "Invalid access token."},
		"no credential": {"", "Invalid access token."},
	} {
		t.Run(name, func(t *testing.T) {
			hdr := map[string]string{}
			if tc.token != "" {
				hdr["Authorization"] = "Bearer " + tc.token
			}
			status, body := call(t, "GET", me, nil, hdr)
			if status != 401 || body["code"] != float64(124) || body["message"] != tc.msg {
				t.Fatalf("%d %v", status, body)
			}
		})
	}
	s.SetDeprecated(true)
	if status, body := call(t, "GET", me, nil, map[string]string{"Authorization": "Bearer " + good}); status != 401 || body["code"] != float64(124) {
		t.Fatalf("deprecated: %d %v", status, body)
	}
}

func TestServerToServerOAuth(t *testing.T) {
	s, base, now := setup(t)
	tokenURL := base + "/oauth/token"
	form := "application/x-www-form-urlencoded"
	body := url.Values{"grant_type": {"account_credentials"}, "account_id": {"acc-1"}}.Encode()

	status, tok := call(t, "POST", tokenURL, strings.NewReader(body), map[string]string{"Authorization": basic("client-1", "client-secret"), "Content-Type": form})
	if status != 200 || tok["token_type"] != "bearer" || tok["expires_in"] != float64(3600) || tok["api_url"] != base || tok["access_token"] == "" {
		t.Fatalf("token: %d %v", status, tok)
	}
	if _, has := tok["refresh_token"]; has {
		t.Fatal("a refresh token was issued for account credentials")
	}
	first := tok["access_token"].(string)
	if status, me := call(t, "GET", base+"/v2/users/me", nil, map[string]string{"Authorization": "Bearer " + first}); status != 200 || me["email"] != "ada@example.com" {
		t.Fatalf("me with S2S token: %d %v", status, me)
	}

	// The historical query-string form is still accepted.
	status, tok = call(t, "POST", tokenURL+"?"+body, nil, map[string]string{"Authorization": basic("client-1", "client-secret")})
	if status != 200 {
		t.Fatalf("query-string grant: %d %v", status, tok)
	}
	// ... and several tokens live at once, as Zoom documents ...
	if status, me := call(t, "GET", base+"/v2/users/me", nil, map[string]string{"Authorization": "Bearer " + first}); status != 200 {
		t.Fatalf("older token after a new one: %d %v", status, me)
	}
	// ... unless the knob makes a new token invalidate the older ones.
	s.SetInvalidateOlder(true)
	first = tok["access_token"].(string)
	status, tok = call(t, "POST", tokenURL+"?"+body, nil, map[string]string{"Authorization": basic("client-1", "client-secret")})
	if status != 200 {
		t.Fatalf("third token: %d %v", status, tok)
	}
	if status, me := call(t, "GET", base+"/v2/users/me", nil, map[string]string{"Authorization": "Bearer " + first}); status != 401 || me["message"] != "Invalid access token." {
		t.Fatalf("older token after a new one, invalidating: %d %v", status, me)
	}
	second := tok["access_token"].(string)
	*now = now.Add(time.Hour)
	if status, me := call(t, "GET", base+"/v2/users/me", nil, map[string]string{"Authorization": "Bearer " + second}); status != 401 || me["message"] != "Access token is expired." {
		t.Fatalf("expired S2S token: %d %v", status, me)
	}

	for name, tc := range map[string]struct {
		body, ct, auth, err, reason string
	}{
		"bad secret":     {body, form, basic("client-1", "nope"), "invalid_client", "Invalid client_id or client_secret"},
		"unknown client": {body, form, basic("client-9", "client-secret"), "invalid_client", "Invalid client_id or client_secret"},
		"no basic auth":  {body, form, "", "invalid_client", "Invalid client_id or client_secret"},
		"other account":  {url.Values{"grant_type": {"account_credentials"}, "account_id": {"acc-2"}}.Encode(), form, basic("client-1", "client-secret"), "invalid_request", "Account does not exist"},
		"no account":     {url.Values{"grant_type": {"account_credentials"}}.Encode(), form, basic("client-1", "client-secret"), "invalid_request", "Account does not exist"},
		"other grant":    {url.Values{"grant_type": {"client_credentials"}, "account_id": {"acc-1"}}.Encode(), form, basic("client-1", "client-secret"), "unsupported_grant_type", "Unsupported grant type"},
		"JSON body":      {`{"grant_type":"account_credentials","account_id":"acc-1"}`, "application/json", basic("client-1", "client-secret"), "invalid_request", "Content-Type must be application/x-www-form-urlencoded"},
	} {
		t.Run(name, func(t *testing.T) {
			hdr := map[string]string{"Content-Type": tc.ct}
			if tc.auth != "" {
				hdr["Authorization"] = tc.auth
			}
			status, got := call(t, "POST", tokenURL, strings.NewReader(tc.body), hdr)
			if status != 400 || got["error"] != tc.err || got["reason"] != tc.reason {
				t.Fatalf("%d %v", status, got)
			}
		})
	}
	s.RevokeClient("client-1")
	if status, _ := call(t, "POST", tokenURL, strings.NewReader(body), map[string]string{"Authorization": basic("client-1", "client-secret"), "Content-Type": form}); status != 400 {
		t.Fatalf("revoked client: %d", status)
	}
}

func TestFaults(t *testing.T) {
	s, base, _ := setup(t)
	s.SetFault(Fail500)
	if status, _ := call(t, "GET", base+"/v2/users/me", nil, nil); status != 500 {
		t.Fatalf("Fail500: %d", status)
	}
	s.SetFault(Hang)
	c := &http.Client{Timeout: 200 * time.Millisecond}
	if _, err := c.Get(base + "/v2/users/me"); err == nil {
		t.Fatal("Hang answered")
	}
	s.SetFault(Malformed)
	body := url.Values{"grant_type": {"account_credentials"}, "account_id": {"acc-1"}}.Encode()
	req, _ := http.NewRequest("POST", base+"/oauth/token", strings.NewReader(body))
	req.Header.Set("Authorization", basic("client-1", "client-secret"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if json.Valid(raw) {
		t.Fatalf("Malformed answered valid JSON: %s", raw)
	}
}
