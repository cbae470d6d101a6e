package redoxoauth

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/redox/redoxtest"
)

func setup(t *testing.T, method string) (*redoxtest.Server, provider.Env, map[string]string) {
	t.Helper()
	emu, base := redoxtest.Start(t)
	values := map[string]string{KeyClientID: "client-1", KeyKeyID: "kid-1", KeySigning: method, KeyRegion: RegionUS}
	if method == HS384 {
		values[KeySharedSecret] = "a shared secret of some length"
		emu.AddOAuthKey("client-1", "kid-1", []byte(values[KeySharedSecret]))
	} else {
		gen, err := generate(values)
		if err != nil || gen[KeyPrivateKey] == "" {
			t.Fatalf("generate: %v %v", gen, err)
		}
		values[KeyPrivateKey] = gen[KeyPrivateKey]
		pub, ok := Public(values)
		if !ok || !strings.HasPrefix(pub.PEM, "-----BEGIN PUBLIC KEY-----") {
			t.Fatalf("public %+v", pub)
		}
		if err := emu.RegisterJWKS("client-1", pub.JWKS); err != nil {
			t.Fatal(err)
		}
	}
	return emu, provider.Env{HTTP: &http.Client{Timeout: provider.DefaultTimeout}, URLs: map[string]string{"redox": base}, Now: time.Now}, values
}

func TestEverySigningMethodGetsATokenThatWorks(t *testing.T) {
	for _, m := range []string{RS384, ES384, HS384} {
		t.Run(m, func(t *testing.T) {
			emu, env, values := setup(t, m)
			res := getToken(context.Background(), env, values)
			if !res.OK || res.Grant == nil || res.Grant.RefreshToken != "" || emu.KeyOf(res.Grant.AccessToken) != "oauth:client-1" {
				t.Fatalf("%+v", res)
			}
			if d := time.Until(res.Grant.ExpiresAt); d < 290*time.Second || d > 300*time.Second {
				t.Fatalf("expires in %v, want 5 minutes", d)
			}
			if !strings.Contains(res.Steps[1].Text, "POST "+env.URL("redox")+"/v2/auth/token → HTTP 200") {
				t.Fatalf("steps %+v", res.Steps)
			}
			// Renewal signs a new assertion (new jti) and gets a new token.
			g, err := renew(context.Background(), env, values)
			if err != nil || g.AccessToken == res.Grant.AccessToken {
				t.Fatalf("renew %+v %v", g, err)
			}
		})
	}
}

func TestAssertionClaims(t *testing.T) {
	_, _, values := setup(t, ES384)
	now := time.Unix(1_800_000_000, 0)
	s, err := Sign(values, "https://api.redoxengine.com/v2/auth/token", now)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, _ := jwt.NewParser().ParseUnverified(s, jwt.MapClaims{})
	c := tok.Claims.(jwt.MapClaims)
	if tok.Header["alg"] != "ES384" || tok.Header["kid"] != "kid-1" || tok.Header["typ"] != "JWT" ||
		c["iss"] != "client-1" || c["sub"] != "client-1" || c["aud"] != "https://api.redoxengine.com/v2/auth/token" ||
		c["iat"] != float64(1_800_000_000) || c["exp"] != float64(1_800_000_240) || c["jti"] == "" {
		t.Fatalf("header %v claims %v", tok.Header, c)
	}
}

func TestRegionChoosesTheTokenURL(t *testing.T) {
	env := provider.Env{URLs: map[string]string{"redox": BaseUS}}
	if got := baseURL(env, map[string]string{KeyRegion: RegionCanada}); got != BaseCanada {
		t.Fatalf("Canada: %s", got)
	}
	if got := baseURL(env, map[string]string{KeyRegion: RegionUS}); got != BaseUS {
		t.Fatalf("US: %s", got)
	}
	if got := baseURL(provider.Env{URLs: map[string]string{"redox": "http://127.0.0.1:9"}}, map[string]string{KeyRegion: RegionCanada}); got != "http://127.0.0.1:9" {
		t.Fatalf("override: %s", got)
	}
}

// The emulator verifies what §5 lists, and the client shows Redox's
// error_description, or a useful message where Redox sends an empty one.
func TestRefusals(t *testing.T) {
	emu, env, values := setup(t, RS384)
	tokenURL := env.URL("redox") + "/v2/auth/token"
	post := func(ct string, form url.Values) (int, string) {
		resp, err := http.Post(tokenURL, ct, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		return resp.StatusCode, b.String()
	}
	now := time.Now()
	good := func(mod func(jwt.MapClaims, map[string]any)) string {
		claims := jwt.MapClaims{"iss": "client-1", "sub": "client-1", "aud": tokenURL, "iat": now.Unix(), "exp": now.Add(4 * time.Minute).Unix(), "jti": jti()}
		tok := jwt.NewWithClaims(jwt.SigningMethodRS384, claims)
		tok.Header["kid"] = "kid-1"
		if mod != nil {
			mod(claims, tok.Header)
		}
		k, _ := parsePrivateKey(values[KeyPrivateKey])
		s, _ := tok.SignedString(k)
		return s
	}
	form := func(assertion string) url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
	}
	replayed := good(nil)
	if status, _ := post("application/x-www-form-urlencoded", form(replayed)); status != 200 {
		t.Fatalf("good assertion: %d", status)
	}
	for _, tc := range []struct {
		name, ct string
		form     url.Values
		want     string
	}{
		{"json", "application/json", form(good(nil)), `"x-www-form-urlencoded content-type required"`},
		{"no grant", "application/x-www-form-urlencoded", url.Values{}, `"Missing grant_type parameter"`},
		{"wrong grant", "application/x-www-form-urlencoded", url.Values{"grant_type": {"password"}}, `"The grant_type parameter should equal 'client_credentials'"`},
		{"no assertion type", "application/x-www-form-urlencoded", url.Values{"grant_type": {"client_credentials"}}, `"Missing client assertion type"`},
		{"no assertion", "application/x-www-form-urlencoded", url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}}, `"Missing client assertion"`},
		{"no kid", "application/x-www-form-urlencoded", form(good(func(_ jwt.MapClaims, h map[string]any) { delete(h, "kid") })), `"JWT header kid property is required"`},
		{"unknown kid", "application/x-www-form-urlencoded", form(good(func(_ jwt.MapClaims, h map[string]any) { h["kid"] = "other" })), `"Public key not found, check client_id, kid and Redox dashboard settings"`},
		{"sub", "application/x-www-form-urlencoded", form(good(func(c jwt.MapClaims, _ map[string]any) { c["sub"] = "x" })), `"Unexpected sub claim value"`},
		{"aud", "application/x-www-form-urlencoded", form(good(func(c jwt.MapClaims, _ map[string]any) { c["aud"] = BaseCanada + "/v2/auth/token" })), `"error_description":""`},
		{"old iat", "application/x-www-form-urlencoded", form(good(func(c jwt.MapClaims, _ map[string]any) { c["iat"] = now.Add(-6 * time.Minute).Unix() })), `"error_description":""`},
		{"exp too far", "application/x-www-form-urlencoded", form(good(func(c jwt.MapClaims, _ map[string]any) { c["exp"] = now.Add(10 * time.Minute).Unix() })), `"error_description":""`},
		{"expired", "application/x-www-form-urlencoded", form(good(func(c jwt.MapClaims, _ map[string]any) { c["exp"] = now.Add(-time.Second).Unix() })), `"error_description":""`},
		{"jti replay", "application/x-www-form-urlencoded", form(replayed), `"error_description":""`},
	} {
		status, body := post(tc.ct, tc.form)
		if status != 400 || !strings.Contains(body, tc.want) || !strings.Contains(body, `"error":"invalid_request"`) {
			t.Errorf("%s: %d %s", tc.name, status, body)
		}
	}

	// Through the client: Redox's words, or ours where it says nothing.
	values[KeyKeyID] = "unregistered"
	if res := getToken(context.Background(), env, values); res.OK || res.Summary != "Redox refused the request: “Public key not found, check client_id, kid and Redox dashboard settings” (invalid_request, HTTP 400)." {
		t.Fatalf("unknown kid: %q", res.Summary)
	}
	values[KeyKeyID] = "kid-1"
	other, _ := generate(map[string]string{KeySigning: RS384})
	emu.AddOAuthKey("client-1", "kid-2", mustPublic(t, other[KeyPrivateKey]))
	values[KeyKeyID] = "kid-2" // registered under kid-2, but signed with another key
	if res := getToken(context.Background(), env, values); res.OK || !strings.HasPrefix(res.Summary, "Redox refused the signed assertion without saying why (invalid_request, HTTP 400).") {
		t.Fatalf("empty description: %q", res.Summary)
	}
	emu.SetFault(redoxtest.Throttle)
	if res := getToken(context.Background(), env, values); res.Summary != "Redox is limiting requests; try again in 30 s." {
		t.Fatalf("throttled: %q", res.Summary)
	}
}

func mustPublic(t *testing.T, pemText string) any {
	k, err := parsePrivateKey(pemText)
	if err != nil {
		t.Fatal(err)
	}
	return k.Public()
}

func TestKeyPairFollowsTheSigningMethod(t *testing.T) {
	if gen, _ := generate(map[string]string{KeySigning: HS384}); gen != nil {
		t.Fatal("a key pair for HS384")
	}
	rs, _ := generate(map[string]string{KeySigning: RS384})
	if gen, _ := generate(map[string]string{KeySigning: RS384, KeyPrivateKey: rs[KeyPrivateKey]}); gen != nil {
		t.Fatal("an existing key pair was replaced")
	}
	es, _ := generate(map[string]string{KeySigning: ES384, KeyPrivateKey: rs[KeyPrivateKey]})
	if k, err := parsePrivateKey(es[KeyPrivateKey]); err != nil || keyMethod(k) != ES384 {
		t.Fatal("no ES384 key after switching methods")
	}
	if _, ok := Public(map[string]string{KeySigning: HS384, KeyPrivateKey: rs[KeyPrivateKey]}); ok {
		t.Fatal("a public key for HS384")
	}
}
