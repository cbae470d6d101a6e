package zoomtest

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/oauth2"
)

const userCallback = "http://127.0.0.1:8080/oauth/callback"

func userSetup(t *testing.T) (*Server, string, *oauth2.Config) {
	s, base, _ := setup(t)
	s.AddUserApp("acc-1", "user-app", "user-app-secret", userCallback)
	conf := &oauth2.Config{ClientID: "user-app", ClientSecret: "user-app-secret", RedirectURL: userCallback,
		Endpoint: oauth2.Endpoint{AuthURL: base + "/oauth/authorize", TokenURL: base + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
	return s, base, conf
}

var stopAtRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func back(t *testing.T, resp *http.Response) url.Values {
	t.Helper()
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("want a redirect back, got %d", resp.StatusCode)
	}
	u, _ := url.Parse(resp.Header.Get("Location"))
	if !strings.HasPrefix(u.String(), userCallback+"?") {
		t.Fatalf("redirected to %s", u)
	}
	return u.Query()
}

// §2c end to end with x/oauth2: consent, code with PKCE, a Zoom-shaped
// answer, a /v2 call, and refresh tokens that rotate and are single use.
func TestUserLevelOAuth(t *testing.T) {
	s, base, conf := userSetup(t)
	s.SetAutoApprove(true)
	v := oauth2.GenerateVerifier()
	resp, err := stopAtRedirect.Get(conf.AuthCodeURL("st-1", oauth2.S256ChallengeOption(v)))
	if err != nil {
		t.Fatal(err)
	}
	q := back(t, resp)
	if q.Get("state") != "st-1" || q.Get("code") == "" {
		t.Fatalf("redirect back: %v", q)
	}
	ctx := context.Background()
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	if tok.TokenType != "bearer" || tok.RefreshToken == "" || tok.ExpiresIn != 3600 || tok.Extra("api_url") != base ||
		!strings.Contains(tok.Extra("scope").(string), "user:read:user") {
		t.Fatalf("token: %+v api_url %v", tok, tok.Extra("api_url"))
	}
	if status, me := call(t, "GET", base+"/v2/users/me", nil, map[string]string{"Authorization": "Bearer " + tok.AccessToken}); status != 200 || me["email"] != "ada@example.com" {
		t.Fatalf("users/me with a user-level token: %d %v", status, me)
	}

	// The same code a second time is refused.
	if _, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v)); !isZoomError(err, 400, "invalid_grant") {
		t.Fatalf("code reuse: %v", err)
	}

	tok.Expiry = time.Now().Add(-time.Minute) // x/oauth2 reads the real clock
	fresh, err := conf.TokenSource(ctx, tok).Token()
	if err != nil {
		t.Fatal(err)
	}
	if fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken || fresh.AccessToken == tok.AccessToken || s.Refreshes() != 1 {
		t.Fatalf("refresh did not rotate: %+v", fresh)
	}
	_, err = conf.TokenSource(ctx, tok).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != 400 || !strings.Contains(string(re.Body), `"reason":"Invalid Token!"`) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("second use of a refresh token: %v", err)
	}
	fresh.Expiry = time.Now().Add(-time.Minute)
	if _, err := conf.TokenSource(ctx, fresh).Token(); err != nil {
		t.Fatalf("the newest refresh token after a failed reuse: %v", err)
	}
	s.RevokeRefreshToken(fresh.RefreshToken)
	if _, err := conf.TokenSource(ctx, fresh).Token(); !isZoomError(err, 400, "invalid_grant") {
		t.Fatalf("a revoked refresh token: %v", err)
	}
}

func isZoomError(err error, status int, code string) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.Response.StatusCode == status && re.ErrorCode == code && strings.Contains(string(re.Body), `"reason"`)
}

func TestUserLevelConsentPage(t *testing.T) {
	_, base, conf := userSetup(t)
	resp, err := http.Get(conf.AuthCodeURL("st-2"))
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || doc.Find(`[data-testid=consent-client]`).Text() != "user-app" || doc.Find(`[data-testid=consent-scopes]`).Text() != DefaultUserAppScopes {
		t.Fatalf("consent page: %d %q", resp.StatusCode, doc.Find("h1").Text())
	}
	if doc.Find(`button[value=allow]`).Text() != "Allow" || doc.Find(`button[value=deny]`).Text() != "Deny" {
		t.Fatal("no Allow and Deny buttons")
	}
	request, _ := doc.Find(`input[name=request]`).Attr("value")
	action, _ := doc.Find("form").Attr("action")
	page, _ := url.Parse(base + "/oauth/authorize")
	target, _ := page.Parse(action)
	resp, err = stopAtRedirect.PostForm(target.String(), url.Values{"request": {request}, "decision": {"deny"}})
	if err != nil {
		t.Fatal(err)
	}
	if q := back(t, resp); q.Get("error") != "access_denied" || q.Get("state") != "st-2" {
		t.Fatalf("deny: %v", q)
	}

	resp, _ = http.Get(conf.AuthCodeURL("st-3"))
	doc, _ = goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	request, _ = doc.Find(`input[name=request]`).Attr("value")
	resp, err = stopAtRedirect.PostForm(target.String(), url.Values{"request": {request}, "decision": {"allow"}})
	if err != nil {
		t.Fatal(err)
	}
	q := back(t, resp)
	if q.Get("code") == "" || q.Get("state") != "st-3" {
		t.Fatalf("allow: %v", q)
	}
	// Without PKCE (it is optional at Zoom) the code still exchanges.
	if _, err := conf.Exchange(context.Background(), q.Get("code")); err != nil {
		t.Fatal(err)
	}
}

func TestUserLevelErrors(t *testing.T) {
	s, base, _ := userSetup(t)
	s.SetAutoApprove(true)
	authorize := func(q url.Values) *http.Response {
		resp, err := stopAtRedirect.Get(base + "/oauth/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for name, q := range map[string]url.Values{
		"unknown client":         {"response_type": {"code"}, "client_id": {"nobody"}, "redirect_uri": {userCallback}},
		"unregistered redirect":  {"response_type": {"code"}, "client_id": {"user-app"}, "redirect_uri": {"https://evil.example/cb"}},
		"a Server-to-Server app": {"response_type": {"code"}, "client_id": {"client-1"}, "redirect_uri": {userCallback}},
	} {
		resp := authorize(q)
		resp.Body.Close()
		if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
			t.Errorf("%s: %d Location %q, want an error page", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	plain := back(t, authorize(url.Values{"response_type": {"code"}, "client_id": {"user-app"}, "redirect_uri": {userCallback},
		"state": {"p"}, "code_challenge": {"abc"}, "code_challenge_method": {"plain"}}))
	if plain.Get("error") != "invalid_request" || plain.Get("state") != "p" {
		t.Fatalf("plain PKCE: %v", plain)
	}

	code := func(challenge string) string {
		q := url.Values{"response_type": {"code"}, "client_id": {"user-app"}, "redirect_uri": {userCallback}}
		if challenge != "" {
			q.Set("code_challenge", oauth2.S256ChallengeFromVerifier(challenge))
			q.Set("code_challenge_method", "S256")
		}
		return back(t, authorize(q)).Get("code")
	}
	v := oauth2.GenerateVerifier()
	for _, tc := range []struct {
		name, id, secret string
		form             url.Values
		errStr           string
	}{
		{"wrong secret", "user-app", "nope", url.Values{"grant_type": {"authorization_code"}, "code": {code("")}, "redirect_uri": {userCallback}}, "invalid_client"},
		{"a Server-to-Server app's credentials", "client-1", "client-secret", url.Values{"grant_type": {"authorization_code"}, "code": {code("")}, "redirect_uri": {userCallback}}, "invalid_client"},
		{"unknown code", "user-app", "user-app-secret", url.Values{"grant_type": {"authorization_code"}, "code": {"made-up"}, "redirect_uri": {userCallback}}, "invalid_grant"},
		{"redirect mismatch", "user-app", "user-app-secret", url.Values{"grant_type": {"authorization_code"}, "code": {code("")}, "redirect_uri": {"http://other/cb"}}, "invalid_request"},
		{"wrong verifier", "user-app", "user-app-secret", url.Values{"grant_type": {"authorization_code"}, "code": {code(v)}, "redirect_uri": {userCallback}, "code_verifier": {v + "x"}}, "invalid_grant"},
		{"missing verifier", "user-app", "user-app-secret", url.Values{"grant_type": {"authorization_code"}, "code": {code(v)}, "redirect_uri": {userCallback}}, "invalid_grant"},
		{"unknown refresh token", "user-app", "user-app-secret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"made-up"}}, "invalid_grant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(t, "POST", base+"/oauth/token", strings.NewReader(tc.form.Encode()), map[string]string{
				"Authorization": basic(tc.id, tc.secret), "Content-Type": "application/x-www-form-urlencoded"})
			if status != 400 || body["error"] != tc.errStr || body["reason"] == "" || body["reason"] == nil {
				t.Fatalf("got %d %v, want 400 %s with a reason", status, body, tc.errStr)
			}
		})
	}

	// The shared faults reach the user-level grants too.
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code("")}, "redirect_uri": {userCallback}}.Encode()
	s.SetFault(Throttle)
	if status, _ := call(t, "POST", base+"/oauth/token", strings.NewReader(form), map[string]string{
		"Authorization": basic("user-app", "user-app-secret"), "Content-Type": "application/x-www-form-urlencoded"}); status != 429 {
		t.Fatalf("Throttle on a code exchange: %d", status)
	}
	s.SetFault(Malformed)
	if status, body := call(t, "POST", base+"/oauth/token", strings.NewReader(form), map[string]string{
		"Authorization": basic("user-app", "user-app-secret"), "Content-Type": "application/x-www-form-urlencoded"}); status != 200 || body != nil {
		t.Fatalf("Malformed on a code exchange: %d %v", status, body)
	}
}
