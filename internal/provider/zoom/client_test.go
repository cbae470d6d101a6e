package zoom

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/zoom/zoomtest"
)

func emulator(t *testing.T) (*zoomtest.Server, provider.Env) {
	s, base := zoomtest.Start(t)
	s.AddAccount(zoomtest.User{ID: "u1", FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com", AccountID: "acc-1"})
	s.AddJWTApp("acc-1", "jwt-key", "jwt-secret")
	s.AddS2SApp("acc-1", "client-1", "client-secret")
	return s, provider.Env{HTTP: &http.Client{Timeout: provider.DefaultTimeout}, URLs: map[string]string{"zoom_api": base, "zoom_oauth": base}, Now: time.Now}
}

func TestSignJWT(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s, err := SignJWT("key", "secret", now, JWTLifetime)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Parse(s, func(*jwt.Token) (any, error) { return []byte("secret"), nil }, jwt.WithoutClaimsValidation())
	if err != nil {
		t.Fatal(err)
	}
	claims := tok.Claims.(jwt.MapClaims)
	if tok.Header["alg"] != "HS256" || tok.Header["typ"] != "JWT" || claims["iss"] != "key" || claims["exp"] != float64(1_800_000_060) {
		t.Fatalf("header %v claims %v: want HS256, iss = API Key, exp = now + 60 s in seconds", tok.Header, claims)
	}
}

func TestJWTTestConnection(t *testing.T) {
	s, env := emulator(t)
	s.SetDeprecated(false) // as Zoom took JWTs before September 2023
	res := testJWT(context.Background(), env, map[string]string{KeyAPIKey: "jwt-key", KeyAPISecret: "jwt-secret"})
	if !res.OK || res.Summary != "Connected to Zoom as Ada Lovelace <ada@example.com> in account acc-1." {
		t.Fatalf("%+v", res)
	}
	if len(res.Steps) != 4 || !strings.Contains(res.Steps[1].Text, "GET "+env.URL("zoom_api")+"/v2/users/me → HTTP 200") {
		t.Fatalf("steps %+v", res.Steps)
	}
	res = testJWT(context.Background(), env, map[string]string{KeyAPIKey: "jwt-key", KeyAPISecret: "wrong-secret"})
	// Issue 9 item 21: the message speaks of the secret the person typed,
	// not of an "access token" they never saw.
	if res.OK || !strings.HasPrefix(res.Summary, "Zoom did not accept the token signed with this API Key and API Secret (code 124, HTTP 401).") ||
		!strings.Contains(res.Summary, "Server-to-Server OAuth") {
		t.Fatalf("bad secret: %+v", res)
	}
	s.SetDeprecated(true)
	if res = testJWT(context.Background(), env, map[string]string{KeyAPIKey: "jwt-key", KeyAPISecret: "jwt-secret"}); res.OK || !strings.Contains(res.Summary, "Zoom retired JWT apps in 2023") {
		t.Fatalf("JWT after deprecation: %+v", res)
	}
	s.SetDeprecated(false)
	s.SetFault(zoomtest.Malformed)
	if res = testJWT(context.Background(), env, map[string]string{KeyAPIKey: "jwt-key", KeyAPISecret: "jwt-secret"}); res.OK || !strings.Contains(res.Summary, "could not be read") {
		t.Fatalf("malformed: %+v", res)
	}
	s.SetFault(zoomtest.Fail500)
	// Issue 9 item 21: a 500, JSON or not, names the status.
	if res = testJWT(context.Background(), env, map[string]string{KeyAPIKey: "jwt-key", KeyAPISecret: "jwt-secret"}); res.OK || res.Summary != "Zoom is failing (HTTP 500). Nothing was changed; try again later." {
		t.Fatalf("500: %+v", res)
	}
	if res = testS2S(context.Background(), env, map[string]string{KeyAccountID: "acc-1", KeyClientID: "client-1", KeyClientSecret: "client-secret"}); res.OK || res.Summary != "Zoom is failing (HTTP 500). Nothing was changed; try again later." {
		t.Fatalf("500 on the OAuth server: %+v", res)
	}
}

func TestServerToServer(t *testing.T) {
	s, env := emulator(t)
	good := map[string]string{KeyAccountID: "acc-1", KeyClientID: "client-1", KeyClientSecret: "client-secret"}
	res := getS2SToken(context.Background(), env, good)
	if !res.OK || res.Grant == nil || res.Grant.AccessToken == "" || res.Grant.RefreshToken != "" ||
		res.Grant.ExpiresAt.Sub(time.Now()) < 59*time.Minute {
		t.Fatalf("get token: %+v", res)
	}
	res = testS2S(context.Background(), env, good)
	if !res.OK || res.Grant != nil || !strings.Contains(res.Summary, "Ada Lovelace") {
		t.Fatalf("test connection: %+v", res)
	}
	bad := map[string]string{KeyAccountID: "acc-1", KeyClientID: "client-1", KeyClientSecret: "client-secret-wrong"}
	res = getS2SToken(context.Background(), env, bad)
	if res.OK || res.Summary != "Zoom refused the credentials: “Invalid client_id or client_secret” (invalid_client, HTTP 400)." {
		t.Fatalf("bad secret: %+v", res)
	}
	if strings.Contains(res.Summary, "client-secret-wrong") {
		t.Fatal("summary echoes the secret")
	}
	res = testS2S(context.Background(), env, map[string]string{KeyAccountID: "acc-2", KeyClientID: "client-1", KeyClientSecret: "client-secret"})
	if res.OK || !strings.Contains(res.Summary, "Account does not exist") {
		t.Fatalf("wrong account: %+v", res)
	}
	s.SetFault(zoomtest.Malformed)
	if res = getS2SToken(context.Background(), env, good); res.OK || !strings.Contains(res.Summary, "could not be read") {
		t.Fatalf("malformed: %+v", res)
	}
	s.SetFault(zoomtest.Throttle)
	if res = getS2SToken(context.Background(), env, good); res.OK || res.Summary != "Zoom is limiting requests; try again in 30 s." {
		t.Fatalf("throttled: %+v", res)
	}
	s.SetFault(zoomtest.NoFault)

	// Issue 10 item 3: an app without user-read scopes has good credentials:
	// Zoom's 400 code 4711 is a success with a warning, not a failure.
	s.SetScopes("client-1", "meeting:write:admin")
	res = testS2S(context.Background(), env, good)
	if !res.OK || res.Summary != "Connected to Zoom: the credentials are valid and an access token was obtained." ||
		!strings.Contains(res.Warning, "lacks a user-read scope") {
		t.Fatalf("4711: %+v", res)
	}
}

func TestRegionChoosesZoomOrZoomGov(t *testing.T) {
	real := provider.Env{URLs: map[string]string{"zoom_api": APIURL, "zoom_oauth": OAuthURL}}
	if c := clientFor(real, map[string]string{KeyRegion: RegionZoomGov}); c.APIURL != GovAPIURL || c.OAuthURL != GovOAuthURL {
		t.Fatalf("ZoomGov: %+v", c)
	}
	if c := clientFor(real, map[string]string{}); c.APIURL != APIURL || c.OAuthURL != OAuthURL {
		t.Fatalf("Zoom: %+v", c)
	}
	emu := provider.Env{URLs: map[string]string{"zoom_api": "http://127.0.0.1:9", "zoom_oauth": "http://127.0.0.1:9"}}
	if c := clientFor(emu, map[string]string{KeyRegion: RegionZoomGov}); c.APIURL != "http://127.0.0.1:9" {
		t.Fatalf("override: %+v", c)
	}
}

// The token keeps where it is used: Zoom's api_url when it names a plain
// base URL, else the API URL of the region tokendesk reached.
func TestAccountTokenKeepsTheAPIURL(t *testing.T) {
	for _, tt := range []struct{ named, want string }{
		{"https://eu01api-www4local.zoom.us", "https://eu01api-www4local.zoom.us"},
		{"https://api.zoomgov.com/", "https://api.zoomgov.com"},
		{"", "FALLBACK"},
		{"javascript:alert(1)", "FALLBACK"},
		{"https://user:pw@api.zoom.us", "FALLBACK"},
		{"https://api.zoom.us/?x=1", "FALLBACK"},
	} {
		t.Run(tt.named, func(t *testing.T) {
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body := map[string]any{"access_token": "tok", "token_type": "bearer", "expires_in": 3600}
				if tt.named != "" {
					body["api_url"] = tt.named
				}
				json.NewEncoder(w).Encode(body)
			}))
			defer hs.Close()
			c := &Client{APIURL: hs.URL + "/", OAuthURL: hs.URL}
			tok, _, err := c.RequestAccountToken(t.Context(), time.Now(), "acc", "id", "secret")
			want := strings.Replace(tt.want, "FALLBACK", hs.URL, 1)
			if err != nil || tok.APIURL != want {
				t.Fatalf("api_url %q: kept %q, want %q (%v)", tt.named, tok.APIURL, want, err)
			}
			if g := grantOf(tok); g.Extra[KeyAPIURL] != want {
				t.Fatalf("grant %+v", g)
			}
		})
	}
}
