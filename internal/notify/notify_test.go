package notify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The signature the Standard Webhooks specification publishes for its
// example: the library signs as the specification says.
func TestSignatureMatchesTheSpecificationsExample(t *testing.T) {
	wh, err := standardwebhooks.NewWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	sig, err := wh.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; sig != want {
		t.Fatalf("signature %s, want %s", sig, want)
	}
}

func TestNewSecretIsAStandardWebhooksSecret(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if a == b || !strings.HasPrefix(a, "whsec_") {
		t.Fatalf("secrets %q %q", a, b)
	}
	if _, err := standardwebhooks.NewWebhook(a); err != nil {
		t.Fatal(err)
	}
}

// Loopback is refused by address as the connection is made, so a host
// name that resolves to it is refused too; with the setting it is allowed.
func TestPrivateTargetsAreRefusedOnEveryConnection(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	c := NewClient(2 * time.Second)
	for _, u := range []string{srv.URL, "http://localhost" + port} {
		req, _ := http.NewRequest(http.MethodPost, u, nil)
		_, err := c.Do(req)
		if !errors.Is(err, ErrPrivateTarget) {
			t.Fatalf("%s: %v, want refused", u, err)
		}
		req, _ = http.NewRequestWithContext(context.WithValue(context.Background(), allowPrivateKey{}, true), http.MethodPost, u, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s with private targets allowed: %v", u, err)
		}
		resp.Body.Close()
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{now.Add(time.Hour).Format(http.TimeFormat), time.Hour},
		{"99999999999999999999999", GiveUpAfter},
		{"soon", 0},
	} {
		if got := parseRetryAfter(tc.v, now); got != tc.want {
			t.Errorf("Retry-After %q: %v, want %v", tc.v, got, tc.want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, u := range []string{"https://hooks.example.com/x", "http://10.0.0.5:8080/hook?team=ops"} {
		if msg := CheckURL(u, false); msg != "" {
			t.Errorf("%s refused: %s", u, msg)
		}
	}
	for _, u := range []string{"", "ftp://x.example.com", "//x.example.com", "https://a:b@x.example.com", "https://x.example.com/#frag", "javascript:alert(1)", "mailto:ops@example.com"} {
		if CheckURL(u, false) == "" {
			t.Errorf("%q accepted", u)
		}
	}
}

func TestMailtoEndpoints(t *testing.T) {
	for u, ok := range map[string]bool{
		"mailto:ops@example.com":                       true,
		"mailto:ops@example.com,Ada <ada@example.com>": true,
		"mailto:":                          false,
		"mailto:not an address":            false,
		"mailto:ops@example.com?subject=x": false,
	} {
		if got := CheckURL(u, true) == ""; got != ok {
			t.Errorf("%q with e-mail set up: accepted %v, want %v", u, got, ok)
		}
	}
	to, _ := mailRecipients("mailto:ops@example.com,Ada <ada@example.com>,ops@example.com")
	if strings.Join(to, " ") != "ops@example.com ada@example.com" {
		t.Fatalf("recipients %v", to)
	}
}
