package redox

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/redox/redoxtest"
)

func TestClientAgainstTheEmulator(t *testing.T) {
	emu, base := redoxtest.Start(t)
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	emu.SetClock(func() time.Time { return now })
	emu.AddKey("key-1", "secret-1")
	emu.SetSingleUseRefresh(true)
	c := &Client{BaseURL: base, HTTP: &http.Client{Timeout: provider.DefaultTimeout}}
	ctx := context.Background()

	tok, steps, err := c.Authenticate(ctx, "key-1", "secret-1")
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || !tok.Expires.Equal(now.Add(24*time.Hour)) {
		t.Fatalf("token %+v", tok)
	}
	if len(steps) != 1 || !strings.Contains(steps[0].Text, "POST "+base+"/auth/authenticate → HTTP 200") {
		t.Fatalf("steps %+v", steps)
	}

	next, _, err := c.Refresh(ctx, "key-1", tok.RefreshToken)
	if err != nil || next.AccessToken == tok.AccessToken {
		t.Fatalf("refresh: %+v %v", next, err)
	}
	_, _, err = c.Refresh(ctx, "key-1", tok.RefreshToken) // rotated away
	wantMessage(t, err, 401, "Redox refused the refresh token (HTTP 401).")

	_, _, err = c.Authenticate(ctx, "key-1", "wrong")
	wantMessage(t, err, 401, "Redox rejected the API Key and Secret (HTTP 401). Check both values in the Redox dashboard.")

	emu.Revoke("key-1")
	_, _, err = c.Authenticate(ctx, "key-1", "secret-1")
	wantMessage(t, err, 401, "Redox rejected the API Key and Secret")
	emu.AddKey("key-1", "secret-1")

	emu.SetFault(redoxtest.Fail500)
	_, _, err = c.Authenticate(ctx, "key-1", "secret-1")
	wantMessage(t, err, 500, "Redox is failing (HTTP 500). Nothing was changed; try again later.")

	emu.SetFault(redoxtest.Malformed)
	_, _, err = c.Authenticate(ctx, "key-1", "secret-1")
	wantMessage(t, err, 200, "not with the JSON token it documents")

	// Throttling is no refusal: it names the wait Redox asked for.
	emu.SetFault(redoxtest.Throttle)
	emu.SetRetryAfter(45)
	_, _, err = c.Authenticate(ctx, "key-1", "secret-1")
	wantMessage(t, err, 429, "Redox is limiting requests; try again in 45 s.")
	var ce *provider.CallError
	if errors.As(err, &ce); ce.RetryAfter != 45*time.Second || ce.Refused() {
		t.Fatalf("retry after %v, refused %v", ce.RetryAfter, ce.Refused())
	}
	emu.SetFault(redoxtest.NoFault)
}

// Issue 10 item 6: any refusal of the refresh token falls back to a fresh
// login in the same renewal; a 5xx or 429 does not (it would fail alike).
func TestRenewFallsBackToLoginOnAnyRefusal(t *testing.T) {
	for _, tc := range []struct {
		name      string
		refresh   http.HandlerFunc
		wantLogin bool
	}{
		{"401", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "Invalid request", 401) }, true},
		{"400", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "Invalid request", 400) }, true},
		{"404", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "Not Found", 404) }, true},
		{"500", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "oops", 500) }, false},
		{"429", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "30")
			http.Error(w, "Too Many Requests", 429)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu := redoxtest.New().AddKey("key-1", "secret-1")
			mux := http.NewServeMux()
			mux.Handle("/", emu)
			mux.Handle("/auth/refreshToken", tc.refresh)
			hs := httptest.NewServer(mux)
			defer hs.Close()
			env := provider.Env{HTTP: &http.Client{Timeout: provider.DefaultTimeout}, URLs: map[string]string{"redox": hs.URL}}
			g, err := renew(context.Background(), env, map[string]string{KeyAPIKey: "key-1", KeySecret: "secret-1", KeyRefresh: "old"})
			if got := emu.Calls("/auth/authenticate"); (got == 1) != tc.wantLogin {
				t.Fatalf("%d logins after a %s refresh, want login %v", got, tc.name, tc.wantLogin)
			}
			if tc.wantLogin && (err != nil || emu.KeyOf(g.AccessToken) != "key-1") {
				t.Fatalf("renewal after fallback: %+v %v", g, err)
			}
			if !tc.wantLogin && err == nil {
				t.Fatal("a failing refresh renewed")
			}
		})
	}
}

// A hanging Redox is given up on after the client's timeout (10 s in
// production, provider.DefaultTimeout; a short one here), and the person is
// told so.
func TestClientGivesUpOnAHangingRedox(t *testing.T) {
	t.Parallel()
	emu, base := redoxtest.Start(t)
	emu.SetFault(redoxtest.Hang)
	c := &Client{BaseURL: base, HTTP: &http.Client{Timeout: 300 * time.Millisecond}}
	_, steps, err := c.Authenticate(context.Background(), "k", "s")
	host := strings.TrimPrefix(base, "http://")
	wantMessage(t, err, 0, "no answer from "+host+" within 300ms")
	if len(steps) != 1 || steps[0].OK {
		t.Fatalf("steps %+v", steps)
	}
}

func TestClientUnreachable(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c := &Client{BaseURL: "http://" + addr, HTTP: &http.Client{Timeout: time.Second}}
	_, _, err := c.Authenticate(context.Background(), "k", "s")
	wantMessage(t, err, 0, "could not reach "+addr+": connection refused")
	c = &Client{BaseURL: "http://no-such-host.invalid", HTTP: &http.Client{Timeout: 2 * time.Second}}
	_, _, err = c.Authenticate(context.Background(), "k", "s")
	if err == nil || (!strings.Contains(err.Error(), "was not found") && !strings.Contains(err.Error(), "could not reach")) {
		t.Fatalf("unknown host: %v", err)
	}
}

func TestGetTokenButton(t *testing.T) {
	emu, base := redoxtest.Start(t)
	emu.AddKey("key-1", "secret-1")
	env := provider.Env{HTTP: &http.Client{Timeout: provider.DefaultTimeout}, URLs: map[string]string{"redox": base}}
	res := getToken(context.Background(), env, map[string]string{KeyAPIKey: "key-1", KeySecret: "secret-1"})
	if !res.OK || res.Grant == nil || res.Grant.RefreshToken == "" {
		t.Fatalf("result %+v", res)
	}
	if len(res.Steps) != 3 || !strings.Contains(res.Steps[1].Text, "Authentication succeeded") {
		t.Fatalf("steps %+v", res.Steps)
	}
	res = getToken(context.Background(), env, map[string]string{KeyAPIKey: "key-1", KeySecret: "bad"})
	if res.OK || res.Grant != nil || !strings.Contains(res.Summary, "rejected") {
		t.Fatalf("bad secret: %+v", res)
	}
}

func wantMessage(t *testing.T, err error, status int, want string) {
	t.Helper()
	var ce *provider.CallError
	if !errors.As(err, &ce) {
		t.Fatalf("err %v (%T), want a CallError", err, err)
	}
	if ce.Status != status || !strings.Contains(ce.Message, want) {
		t.Fatalf("got %d %q, want %d %q", ce.Status, ce.Message, status, want)
	}
}
