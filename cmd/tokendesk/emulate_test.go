package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"golang.org/x/oauth2"
)

// startEmulate runs `tokendesk emulate` with args until the test ends and
// returns its base URL and what it printed.
func startEmulate(t *testing.T, args ...string) (string, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	errc := make(chan error, 1)
	go func() { errc <- emulate(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), out) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Error(err)
		}
	})
	for i := 0; i < 100; i++ {
		if line, _, ok := strings.Cut(out.String(), "\n"); ok {
			_, base, _ := strings.Cut(line, " emulators on ")
			return base, out
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("emulate printed %q", out.String())
	return "", nil
}

// A person following `make demo` clicks through a whole authorization-code
// flow: the printed authorization URL shows a consent page, Allow sends the
// browser back to the console's callback, and the printed client
// credentials exchange the code and renew the token. The same for the
// demo Zoom user-level app.
func TestEmulateServesAnAuthorizationCodeFlow(t *testing.T) {
	const console = "http://console.test:8123"
	base, out := startEmulate(t, "--console-url", console)
	for _, tc := range []struct {
		name, authURL, tokenURL, id, secret string
		style                               oauth2.AuthStyle
	}{
		{"OAuth 2.0, HTTP Basic", base + "/oauth2/authorize", base + "/oauth2/token", demoOAuthClient, demoOAuthSecret, oauth2.AuthStyleInHeader},
		{"OAuth 2.0, secret in the body", base + "/oauth2/authorize", base + "/oauth2/token", demoOAuthPostClient, demoOAuthPostSecret, oauth2.AuthStyleInParams},
		{"Zoom user OAuth", base + "/oauth/authorize", base + "/oauth/token", demoZoomUserClient, demoZoomUserSecret, oauth2.AuthStyleInHeader},
		{"OAuth 2.0, Test URL", base + "/oauth2/authorize", base + "/oauth2/token", demoOAuthClient, demoOAuthSecret, oauth2.AuthStyleInHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, printed := range []string{tc.authURL, tc.tokenURL, tc.id, tc.secret, console + "/oauth/callback"} {
				if !strings.Contains(out.String(), printed) {
					t.Fatalf("emulate does not print %q:\n%s", printed, out.String())
				}
			}
			conf := &oauth2.Config{ClientID: tc.id, ClientSecret: tc.secret, RedirectURL: console + "/oauth/callback",
				Endpoint: oauth2.Endpoint{AuthURL: tc.authURL, TokenURL: tc.tokenURL, AuthStyle: tc.style}}
			v := oauth2.GenerateVerifier()
			resp, err := http.Get(conf.AuthCodeURL("demo-state", oauth2.S256ChallengeOption(v)))
			if err != nil {
				t.Fatal(err)
			}
			doc, _ := goquery.NewDocumentFromReader(resp.Body)
			resp.Body.Close()
			action, ok := doc.Find("form").Attr("action")
			request, _ := doc.Find(`input[name=request]`).Attr("value")
			if resp.StatusCode != 200 || !ok || doc.Find(`button[value=allow]`).Text() != "Allow" {
				t.Fatalf("no consent page: %d", resp.StatusCode)
			}
			target, _ := resp.Request.URL.Parse(action)
			stop := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err = stop.PostForm(target.String(), url.Values{"request": {request}, "decision": {"allow"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), console+"/oauth/callback?") || loc.Query().Get("state") != "demo-state" {
				t.Fatalf("Allow sent the browser to %d %s", resp.StatusCode, loc)
			}
			ctx := context.Background()
			tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(v))
			if err != nil || tok.RefreshToken == "" {
				t.Fatalf("exchange: %v %+v", err, tok)
			}
			tok.Expiry = time.Now().Add(-time.Minute)
			fresh, err := conf.TokenSource(ctx, tok).Token()
			if err != nil || fresh.RefreshToken == tok.RefreshToken {
				t.Fatalf("renewal: %v", err)
			}
			// What Test Connection asks: the preset's /v2/users/me at the
			// api_url Zoom gave, or the generic form's printed Test URL.
			who := base + "/oauth2/userinfo"
			if api, _ := fresh.Extra("api_url").(string); api != "" {
				who = api + "/v2/users/me"
			}
			if tc.name == "OAuth 2.0, Test URL" && !strings.Contains(out.String(), "Test URL "+who) {
				t.Fatalf("emulate does not print the Test URL %s", who)
			}
			req, _ := http.NewRequest(http.MethodGet, who, nil)
			fresh.SetAuthHeader(req)
			me, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			me.Body.Close()
			if me.StatusCode != http.StatusOK {
				t.Fatalf("who am I at %s: %d", who, me.StatusCode)
			}
		})
	}
}

// The demo's Signed JWT client: its JWKS URL is registered on the printed
// dashboard page, as in a service's app settings.
func TestEmulatePrintsWhereToRegisterAJWKSURL(t *testing.T) {
	base, out := startEmulate(t)
	dashboard := base + "/oauth2/dashboard/jwks"
	if !strings.Contains(out.String(), demoOAuthJWTClient) || !strings.Contains(out.String(), dashboard) {
		t.Fatalf("emulate does not print the Signed JWT client and %s:\n%s", dashboard, out.String())
	}
	resp, err := http.PostForm(dashboard, url.Values{"client_id": {demoOAuthJWTClient}, "jwks_url": {"http://127.0.0.1:8080/jwks/1.json"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("registering the demo client's JWKS URL: %d", resp.StatusCode)
	}
}

func TestEmulateRefusesABadConsoleURL(t *testing.T) {
	err := emulate(context.Background(), []string{"--addr", "127.0.0.1:0", "--console-url", "console.test"}, &lockedBuffer{})
	if err == nil || !strings.Contains(err.Error(), "--console-url") {
		t.Fatalf("a console URL without a scheme: %v", err)
	}
}

// emulate serves every registered emulator without naming one: each
// answers on its declared paths, its demo credentials are printed, and the
// base URLs it serves are in the printed set-up.
func TestEmulateMountsEveryRegisteredEmulator(t *testing.T) {
	base, out := startEmulate(t)
	mux, _, _, _, closeAll := mountEmulators(base, "http://127.0.0.1:8080/oauth/callback")
	defer closeAll()
	for _, e := range registry.Emulators() {
		paths := append([]string(nil), e.Paths...)
		if e.Prefix != "" {
			paths = append(paths, e.Prefix+"/")
		}
		for _, p := range paths {
			if _, pattern := mux.Handler(httptest.NewRequest(http.MethodPost, base+p, nil)); pattern != p {
				t.Errorf("%s: %s is served by %q", e.Name, p, pattern)
			}
		}
		if !strings.Contains(out.String(), e.Name) {
			t.Errorf("emulate does not print %s's demo", e.Name)
		}
		for _, n := range e.Serves {
			if env := (provider.BaseURL{Name: n}).EnvVar() + "=" + base; !strings.Contains(out.String(), env) {
				t.Errorf("emulate does not print %s", env)
			}
		}
	}
	if !strings.Contains(out.String(), "TOKENDESK_EMULATOR_URL="+base) {
		t.Errorf("emulate does not print TOKENDESK_EMULATOR_URL:\n%s", out)
	}
}

// `tokendesk emulate` serves the OpenID Connect identity provider too:
// its discovery names the issuer it is served at, and its demo client is
// registered for the console's Redirect URI, exactly.
func TestEmulateServesAnIdentityProvider(t *testing.T) {
	const console = "http://console.test:8123"
	base, out := startEmulate(t, "--console-url", console)
	if !strings.Contains(out.String(), "Issuer URL "+base+"/oidc") {
		t.Fatalf("the banner does not name the identity provider:\n%s", out.String())
	}
	resp, err := http.Get(base + "/oidc/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if doc["issuer"] != base+"/oidc" || doc["authorization_endpoint"] != base+"/oidc/authorize" {
		t.Fatalf("discovery: %v", doc)
	}
	q := url.Values{"client_id": {demoIdPClient}, "response_type": {"code"}, "scope": {"openid"}, "state": {"s"}, "nonce": {"n"},
		"code_challenge": {"c"}, "code_challenge_method": {"S256"}}
	for redirect, want := range map[string]int{console + "/login/sso/callback": http.StatusOK, console + "/login/sso/callback/": http.StatusBadRequest} {
		q.Set("redirect_uri", redirect)
		resp, err := http.Get(base + "/oidc/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("authorize with redirect_uri %s: %d, want %d", redirect, resp.StatusCode, want)
		}
	}
}
