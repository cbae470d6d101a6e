package zoom

import (
	"context"
	"net/http"
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
	return s, provider.Env{HTTP: &http.Client{Timeout: provider.DefaultTimeout}, ZoomAPIURL: base, ZoomOAuthURL: base, Now: time.Now}
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
	res := testJWT(context.Background(), env, map[string]string{KeyAPIKey: "jwt-key", KeyAPISecret: "jwt-secret"})
	if !res.OK || res.Summary != "Connected to Zoom as Ada Lovelace <ada@example.com> in account acc-1." {
		t.Fatalf("%+v", res)
	}
	if len(res.Steps) != 4 || !strings.Contains(res.Steps[1].Text, "GET "+env.ZoomAPIURL+"/v2/users/me → HTTP 200") {
		t.Fatalf("steps %+v", res.Steps)
	}
	res = testJWT(context.Background(), env, map[string]string{KeyAPIKey: "jwt-key", KeyAPISecret: "wrong-secret"})
	if res.OK || res.Summary != "Zoom refused the request: code 124, “Invalid access token.” (HTTP 401)." {
		t.Fatalf("bad secret: %+v", res)
	}
	s.SetDeprecated(true)
	if res = testJWT(context.Background(), env, map[string]string{KeyAPIKey: "jwt-key", KeyAPISecret: "jwt-secret"}); res.OK {
		t.Fatal("JWT accepted after deprecation")
	}
	s.SetDeprecated(false)
	s.SetFault(zoomtest.Malformed)
	if res = testJWT(context.Background(), env, map[string]string{KeyAPIKey: "jwt-key", KeyAPISecret: "jwt-secret"}); res.OK || !strings.Contains(res.Summary, "could not be read") {
		t.Fatalf("malformed: %+v", res)
	}
	s.SetFault(zoomtest.Fail500)
	if res = testJWT(context.Background(), env, map[string]string{KeyAPIKey: "jwt-key", KeyAPISecret: "jwt-secret"}); res.OK || !strings.Contains(res.Summary, "Zoom refused the request: code 500") {
		t.Fatalf("500: %+v", res)
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
}
