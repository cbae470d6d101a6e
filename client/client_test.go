package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/client"
	"github.com/tokendesk/tokendesk/internal/clocktest"
)

// counting counts the requests an http.Client sends, by method and path.
type counting struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[r.Method+" "+r.URL.EscapedPath()]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *counting) n(key string) int { c.mu.Lock(); defer c.mu.Unlock(); return c.calls[key] }

// Many goroutines asking for one token at once make one request; later
// calls are answered from the cache until shortly before expires_at, then
// the token is fetched again. Names are sent URL-encoded, so a name with a
// space or accents is found.
func TestTokenIsFetchedOnceAndCachedUntilShortlyBeforeItExpires(t *testing.T) {
	cnt := &counting{}
	clk := clocktest.At(time.Now())
	td, err := client.New(tokendeskURL, apiKey, client.WithHTTPClient(&http.Client{Transport: cnt}), client.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const path = "GET /api/v1/tokens/Old%20Feed"
	var wg sync.WaitGroup
	toks := make([]*client.Token, 20)
	errs := make([]error, 20)
	for i := range toks {
		wg.Add(1)
		go func() { defer wg.Done(); toks[i], errs[i] = td.Token(ctx, "Old Feed") }()
	}
	wg.Wait()
	for i := range toks {
		if errs[i] != nil || toks[i].AccessToken != oldFeedAccess {
			t.Fatalf("goroutine %d: %v %v", i, toks[i], errs[i])
		}
	}
	if n := cnt.n(path); n != 1 {
		t.Fatalf("20 goroutines at once made %d requests, want 1", n)
	}
	tok := toks[0]
	if tok.Name != "Old Feed" || tok.Provider != "redox" || tok.Scope != "global" || tok.TokenType != "Bearer" || tok.ExpiresAt.IsZero() {
		t.Fatalf("token: %+v", *tok)
	}
	clk.Set(tok.ExpiresAt.Add(-client.DefaultExpiryMargin - time.Second))
	if again, err := td.Token(ctx, "Old Feed"); err != nil || again != tok || cnt.n(path) != 1 {
		t.Fatalf("within its life: %v %v, %d requests", again, err, cnt.n(path))
	}
	clk.Set(tok.ExpiresAt.Add(-client.DefaultExpiryMargin))
	if again, err := td.Token(ctx, "Old Feed"); err != nil || again.AccessToken != oldFeedAccess || cnt.n(path) != 2 {
		t.Fatalf("%s before it expires: %v %v, %d requests", client.DefaultExpiryMargin, again, err, cnt.n(path))
	}

	fr, err := td.Token(ctx, "Résultats Labo")
	if err != nil || fr.Name != "Résultats Labo" || cnt.n("GET /api/v1/tokens/R%C3%A9sultats%20Labo") != 1 {
		t.Fatalf("a name with an accent: %v %v %v", fr, err, cnt.calls)
	}
}

// tokendesk's refusals are *client.Error values with the API's code and
// message (and Retry-After); no error message holds a token or the key.
func TestErrorsCarryTheAPIErrorCode(t *testing.T) {
	ctx := context.Background()
	td, _ := client.New(tokendeskURL, apiKey)
	wrong, _ := client.New(tokendeskURL, "tdk_not-a-key-of-this-tokendesk")
	for _, c := range []struct {
		what   string
		call   func() (*client.Token, error)
		status int
		code   string
	}{
		{"no such token", func() (*client.Token, error) { return td.Token(ctx, "No Such Feed") }, 404, "not_found"},
		{"a wrong key", func() (*client.Token, error) { return wrong.Token(ctx, "Old Feed") }, 401, "unauthorized"},
		{"a refused token that is not renewed", func() (*client.Token, error) { return td.Refresh(ctx, "Stale Feed", oldFeedAccess+"-stale") }, 409, "renewals_disabled"},
	} {
		tok, err := c.call()
		var e *client.Error
		if tok != nil || !errors.As(err, &e) || e.Status != c.status || e.Code != c.code || e.Message == "" {
			t.Errorf("%s: %v %#v", c.what, tok, err)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, oldFeedAccess) || strings.Contains(msg, apiKey) || strings.Contains(msg, "tdk_not-a-key") || !strings.Contains(msg, c.code) {
			t.Errorf("%s: the message %q", c.what, msg)
		}
	}
	if _, err := client.New("tokendesk.example.com", apiKey); err == nil || strings.Contains(err.Error(), apiKey) {
		t.Errorf("a base URL without a scheme: %v", err)
	}
	if _, err := client.New(tokendeskURL, " "); err == nil {
		t.Error("no key: no error")
	}
}

// A token printed or logged shows its name, never its access token.
func TestATokenPrintsWithoutItsAccessToken(t *testing.T) {
	td, _ := client.New(tokendeskURL, apiKey)
	tok, err := td.Token(context.Background(), "Old Feed")
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("fetched", "token", tok, "value", *tok)
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%+v", *tok), fmt.Sprintf("%#v", tok), logged.String()} {
		if strings.Contains(s, oldFeedAccess) || !strings.Contains(s, "Old Feed") {
			t.Errorf("printed as %q", s)
		}
	}
}

// The service refuses the token (401): the Transport reports it to
// tokendesk, which renews it at the service, and sends the request again
// with the new token, body and all. The app sees one 200.
func TestTransportReportsARefusedTokenAndRetriesOnce(t *testing.T) {
	td, _ := client.New(tokendeskURL, apiKey)
	svc := &http.Client{Transport: td.Transport("Lab Feed", nil)}
	logins := redox.Calls("/auth/authenticate")

	body := `{"Meta":{"DataModel":"Results","EventType":"New","Destinations":[{"ID":"d1"}]}}`
	req, _ := http.NewRequest(http.MethodPost, redoxURL+"/endpoint", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := svc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(got), `"DataModel":"Results"`) {
		t.Fatalf("the service answered %d %s", resp.StatusCode, got)
	}
	if n := redox.Calls("/auth/authenticate") - logins; n != 1 {
		t.Fatalf("%d logins at Redox for one refused token, want 1", n)
	}
	if req.Header.Get("Authorization") != "" {
		t.Fatal("the Transport changed the caller's request")
	}
	// The renewed token is the cached one now: no second report.
	tok, err := td.Token(context.Background(), "Lab Feed")
	if err != nil || redox.KeyOf(tok.AccessToken) != "lab-api-key" {
		t.Fatalf("after the retry: %v %v", tok, err)
	}
	resp, err = svc.Post(redoxURL+"/endpoint", "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusOK || redox.Calls("/auth/authenticate")-logins != 1 {
		t.Fatalf("the next request: %v %v", resp, err)
	}
	resp.Body.Close()
}

// A request whose body cannot be sent again gets the service's 401, but
// the token is reported all the same: the next request works.
func TestTransportDoesNotReplayABodyItCannotReplay(t *testing.T) {
	td, _ := client.New(tokendeskURL, apiKey)
	var seen atomic.Int32
	svc := &http.Client{Transport: td.Transport("Lab Upload", roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	}))}
	body := `{"Meta":{"DataModel":"Results","EventType":"New","Destinations":[{"ID":"d1"}]}}`
	req, _ := http.NewRequest(http.MethodPost, redoxURL+"/endpoint", io.NopCloser(strings.NewReader(body)))
	req.Header.Set("Content-Type", "application/json")
	if req.GetBody != nil {
		t.Fatal("the test's body is replayable")
	}
	resp, err := svc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || seen.Load() != 1 {
		t.Fatalf("%d after %d requests, want the service's 401 after 1", resp.StatusCode, seen.Load())
	}
	resp, err = svc.Post(redoxURL+"/endpoint", "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusOK || seen.Load() != 2 {
		t.Fatalf("the next request: %v %v (%d requests)", resp, err, seen.Load())
	}
	resp.Body.Close()
}

// When tokendesk cannot give a working token, the Transport says why with
// tokendesk's error, not the service's bare 401.
func TestTransportReturnsTokendesksRefusal(t *testing.T) {
	td, _ := client.New(tokendeskURL, apiKey)
	always401 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
	}))
	defer always401.Close()
	_, err := (&http.Client{Transport: td.Transport("Stale Feed", nil)}).Get(always401.URL)
	var e *client.Error
	if !errors.As(err, &e) || e.Code != "renewals_disabled" || strings.Contains(err.Error(), oldFeedAccess) {
		t.Fatalf("%v", err)
	}
	_, err = (&http.Client{Transport: td.Transport("No Such Feed", nil)}).Get(always401.URL)
	if !errors.As(err, &e) || e.Code != "not_found" {
		t.Fatalf("%v", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A caller whose context has ended gets its error (errors.Is) and sends
// nothing; one that gives up while others wait does not cancel the
// request they share.
func TestACallerWhoseContextEndsStopsWaiting(t *testing.T) {
	cnt := &counting{}
	release := make(chan struct{})
	slow := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		<-release
		return cnt.RoundTrip(r)
	})
	td, _ := client.New(tokendeskURL, apiKey, client.WithHTTPClient(&http.Client{Transport: slow}))
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := td.Token(done, "Old Feed"); !errors.Is(err, context.Canceled) {
		t.Fatalf("an ended context: %v", err)
	}

	impatient, giveUp := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, err := td.Token(impatient, "Old Feed"); first <- err }()
	second := make(chan *client.Token, 1)
	go func() { tok, _ := td.Token(context.Background(), "Old Feed"); second <- tok }()
	time.Sleep(50 * time.Millisecond) // both wait on the one request
	giveUp()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("the caller who gave up: %v", err)
	}
	close(release)
	if tok := <-second; tok == nil || tok.AccessToken != oldFeedAccess {
		t.Fatalf("the caller who waited: %v", tok)
	}
	if n := cnt.n("GET /api/v1/tokens/Old%20Feed"); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

// A service that redirects to another host does not get the token sent
// there: http.Client strips Authorization on such a redirect, and the
// Transport does not put it back. A redirect within the service's own
// origin keeps it.
func TestTransportSendsNoTokenToAnotherHostOnARedirect(t *testing.T) {
	td, _ := client.New(tokendeskURL, apiKey)
	var mu sync.Mutex
	seen := map[string]string{} // where → Authorization
	record := func(where string, r *http.Request) {
		mu.Lock()
		seen[where] = r.Header.Get("Authorization")
		mu.Unlock()
	}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record("other", r)
	}))
	defer other.Close()
	// Another host name for the same machine: http.Client compares names.
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r.URL.Path, r)
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, otherURL+"/landed", http.StatusFound)
		case "/here":
			http.Redirect(w, r, "/moved-here", http.StatusFound)
		}
	}))
	defer svc.Close()
	c := &http.Client{Transport: td.Transport("Lab Feed", nil)}
	for _, path := range []string{"/away", "/here"} {
		resp, err := c.Get(svc.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.HasPrefix(seen["/away"], "Bearer ") || !strings.HasPrefix(seen["/moved-here"], "Bearer ") {
		t.Fatalf("the service itself got no token: %q", seen)
	}
	if got, ok := seen["other"]; !ok || got != "" {
		t.Fatalf("the other host got Authorization %q (reached: %v)", got, ok)
	}
}

// A service that takes its token in its own header (Shopify's
// X-Shopify-Access-Token) gets the bare token there, and no Authorization.
func TestTransportPutsTheTokenInTheHeaderItIsGiven(t *testing.T) {
	td, _ := client.New(tokendeskURL, apiKey)
	var mu sync.Mutex
	var custom, auth string
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		custom, auth = r.Header.Get("X-Shopify-Access-Token"), r.Header.Get("Authorization")
		mu.Unlock()
	}))
	defer svc.Close()
	tr := td.Transport("Lab Feed", nil)
	tr.Header = "X-Shopify-Access-Token"
	resp, err := (&http.Client{Transport: tr}).Get(svc.URL + "/admin/api/2025-01/shop.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	tok, err := td.Token(context.Background(), "Lab Feed")
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if custom != tok.AccessToken || auth != "" {
		t.Fatalf("X-Shopify-Access-Token %q (want the token), Authorization %q (want none)", custom, auth)
	}
}
