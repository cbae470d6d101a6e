package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/secret"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// instance is one running tokendesk process (in-process, through run's serve).
type instance struct {
	base string
	stop func() error
	logs *lockedBuffer
}

func start(t *testing.T, env map[string]string) (*instance, error) {
	t.Helper()
	seedDataDir(t, env)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	logs := &lockedBuffer{}
	// Providers default to loopback's discard port: tests never reach out.
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		switch k {
		case "TOKENDESK_REDOX_URL", "TOKENDESK_ZOOM_API_URL", "TOKENDESK_ZOOM_OAUTH_URL":
			return "http://127.0.0.1:9"
		case "TOKENDESK_ALLOW_PRIVATE_TARGETS":
			return "true" // the emulators the tests type as Token URLs are on loopback, as in make demo
		}
		return ""
	}
	go func() { errc <- serve(ctx, []string{"--addr", "127.0.0.1:0"}, getenv, logs, ready) }()
	select {
	case addr := <-ready:
		return &instance{base: "http://" + addr, logs: logs, stop: func() error { cancel(); return <-errc }}, nil
	case err := <-errc:
		cancel()
		return nil, err
	case <-time.After(120 * time.Second): // start-up under -race on a loaded 2-core machine takes 20-45 s
		cancel()
		t.Fatal("tokendesk did not start")
	}
	return nil, nil
}

type browser struct {
	t      *testing.T
	client *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(u string) (*http.Response, *goquery.Document) {
	b.t.Helper()
	resp, err := b.client.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, _ := goquery.NewDocumentFromReader(resp.Body)
	return resp, doc
}

func (b *browser) post(u string, form url.Values, csrfFrom string) *http.Response {
	b.t.Helper()
	_, doc := b.get(csrfFrom)
	tok, _ := doc.Find(`input[name="_csrf"]`).Attr("value")
	form.Set("_csrf", tok)
	resp, err := b.client.PostForm(u, form)
	if err != nil {
		b.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestRestartKeepsTokensAndSessions(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"TOKENDESK_DATA_DIR":       dir,
		"TOKENDESK_ADMIN_EMAIL":    "ada@example.com",
		"TOKENDESK_ADMIN_PASSWORD": "correct horse battery",
	}
	first, err := start(t, env)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	if resp := b.post(first.base+"/login", url.Values{"email": {"ada@example.com"}, "password": {"correct horse battery"}}, first.base+"/login"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	form := url.Values{"name": {"Survivor"}, "environment": {"development"}, "api_key": {"k1"}, "secret": {"s1"}, "renewal_rate": {"1h"}}
	if resp := b.post(first.base+"/tokens/new/redox", form, first.base+"/tokens/new/redox"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	if err := first.stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	if !strings.Contains(first.logs.String(), "stopped") {
		t.Fatal("no clean shutdown logged")
	}
	key, err := os.Stat(filepath.Join(dir, "master.key"))
	if err != nil || key.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v %v", key, err)
	}

	second, err := start(t, env)
	if err != nil {
		t.Fatal(err)
	}
	defer second.stop()
	// The same browser is still signed in (the cookie names the port-less host).
	resp, doc := b.get(second.base + "/tokens")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("session lost over restart: %d", resp.StatusCode)
	}
	if strings.TrimSpace(doc.Find("[data-testid=token-name]").Text()) != "Survivor" {
		t.Fatal("token lost over restart")
	}
}

func TestWrongMasterKeyStopsStartUp(t *testing.T) {
	dir := t.TempDir()
	k1 := base64.StdEncoding.EncodeToString(secret.GenerateKey())
	k2 := base64.StdEncoding.EncodeToString(secret.GenerateKey())
	inst, err := start(t, map[string]string{"TOKENDESK_DATA_DIR": dir, "TOKENDESK_MASTER_KEY": k1})
	if err != nil {
		t.Fatal(err)
	}
	inst.stop()
	_, err = start(t, map[string]string{"TOKENDESK_DATA_DIR": dir, "TOKENDESK_MASTER_KEY": k2})
	if !errors.Is(err, secret.ErrWrongKey) || !strings.Contains(err.Error(), "TOKENDESK_MASTER_KEY") {
		t.Fatalf("start with the wrong key: %v", err)
	}
	// A corrupt key file is named too.
	os.WriteFile(filepath.Join(dir, "master.key"), []byte("garbage"), 0o600)
	_, err = start(t, map[string]string{"TOKENDESK_DATA_DIR": dir})
	if err == nil || !strings.Contains(err.Error(), "TOKENDESK_MASTER_KEY_FILE") {
		t.Fatalf("start with a corrupt key file: %v", err)
	}
}

func TestSetupCodeIsLoggedWhenNoUserExists(t *testing.T) {
	inst, err := start(t, map[string]string{"TOKENDESK_DATA_DIR": t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.stop()
	if !strings.Contains(inst.logs.String(), "setup_code=") {
		t.Fatalf("no setup code in the log:\n%s", inst.logs.String())
	}
}

func TestRunCommands(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, os.Getenv, nil, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "tokendesk ") {
		t.Fatalf("version: %q %v", out.String(), err)
	}
	err := run(context.Background(), []string{"serve", "--no-such-flag"}, func(string) string { return "" }, nil, io.Discard, io.Discard)
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "no-such-flag") {
		t.Fatalf("unknown flag: %v", err)
	}
	err = run(context.Background(), []string{"--log-level", "loud"}, func(string) string { return "" }, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--log-level") {
		t.Fatalf("bad log level: %v", err)
	}
	if err := run(context.Background(), []string{"frobnicate"}, os.Getenv, nil, io.Discard, io.Discard); err == nil {
		t.Fatal("unknown command accepted")
	}
}

func TestUserAdd(t *testing.T) {
	dir := t.TempDir()
	env := func(k string) string {
		if k == "TOKENDESK_DATA_DIR" {
			return dir
		}
		return ""
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"user", "add", "--email", "Dee@Example.com", "--role", "designer"}, env,
		strings.NewReader("designer password 1\n"), &out, io.Discard)
	if err != nil || !strings.Contains(out.String(), "Created dee@example.com (designer)") {
		t.Fatalf("user add: %q %v", out.String(), err)
	}
	err = run(context.Background(), []string{"user", "add", "--email", "dee@example.com"}, env, strings.NewReader("designer password 1\n"), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate user: %v", err)
	}
	err = run(context.Background(), []string{"user", "add", "--email", "x@example.com"}, env, strings.NewReader("short\n"), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "at least 12") {
		t.Fatalf("short password: %v", err)
	}
	err = run(context.Background(), []string{"user", "add", "--email", "x@example.com", "--role", "king"}, env, strings.NewReader("long enough password\n"), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--role") {
		t.Fatalf("bad role: %v", err)
	}
}

// The demo: the console, pointed at `tokendesk emulate`, gets a Redox token
// with the printed demo credentials.
func TestEmulateServesTheDemoCredentials(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &lockedBuffer{}
	errc := make(chan error, 1)
	go func() { errc <- emulate(ctx, []string{"--addr", "127.0.0.1:0"}, out) }()
	var base string
	for i := 0; i < 100 && base == ""; i++ {
		time.Sleep(20 * time.Millisecond)
		if line, _, ok := strings.Cut(out.String(), "\n"); ok {
			_, base, _ = strings.Cut(line, " emulators on ")
		}
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.Contains(out.String(), demoRedoxSecret) {
		t.Fatalf("emulate printed %q", out.String())
	}
	inst, err := start(t, map[string]string{
		"TOKENDESK_DATA_DIR": t.TempDir(), "TOKENDESK_ADMIN_EMAIL": "demo@tokendesk.test", "TOKENDESK_ADMIN_PASSWORD": "demo password 123",
		"TOKENDESK_REDOX_URL": base, "TOKENDESK_ZOOM_API_URL": base, "TOKENDESK_ZOOM_OAUTH_URL": base,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.stop()
	b := newBrowser(t)
	b.post(inst.base+"/login", url.Values{"email": {"demo@tokendesk.test"}, "password": {"demo password 123"}}, inst.base+"/login")
	for _, tc := range []struct{ provider, action, want string }{
		{"redox", "get_token", "Obtained an OAuth 2.0 access token from Redox"},
		{"redox-oauth", "get_token", "Obtained an OAuth 2.0 access token from Redox"},
		// The demo follows real Zoom, which refuses JWT apps since 2023.
		{"zoom", "test_connection", "Zoom retired JWT apps in 2023"},
		{"zoom-s2s", "get_token", "Obtained an OAuth 2.0 access token from Zoom"},
		{"zoom-s2s", "test_connection", "Connected to Zoom as Demo Admin"},
	} {
		form := url.Values{"name": {"Demo"}, "environment": {"development"}, "renewal_rate": {"1h"}, "action": {tc.action},
			"api_key": {demoRedoxKey}, "secret": {demoRedoxSecret}, "api_secret": {demoZoomSecret},
			"account_id": {demoZoomAccount}, "client_id": {demoZoomClient}, "client_secret": {demoZoomClientSecret}, "region": {"zoom"}}
		if tc.provider == "redox-oauth" {
			form.Set("region", "us")
			form.Set("client_id", demoRedoxClient)
			form.Set("key_id", demoRedoxKeyID)
			form.Set("signing_method", "hs384")
			form.Set("shared_secret", demoRedoxShared)
		}
		if tc.provider == "zoom" {
			form.Set("api_key", demoZoomKey)
		}
		_, doc := b.get(inst.base + "/tokens/new/" + tc.provider)
		tok, _ := doc.Find(`input[name="_csrf"]`).Attr("value")
		form.Set("_csrf", tok)
		resp, err := b.client.PostForm(inst.base+"/tokens/new/"+tc.provider, form)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := goquery.NewDocumentFromReader(resp.Body)
		resp.Body.Close()
		if got := page.Find("[data-testid=result-summary]").Text(); !strings.Contains(got, tc.want) {
			t.Errorf("%s %s: %q", tc.provider, tc.action, got)
		}
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestKeyRotateMaster(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"TOKENDESK_DATA_DIR": dir, "TOKENDESK_ADMIN_EMAIL": "ada@example.com", "TOKENDESK_ADMIN_PASSWORD": "correct horse battery"}
	inst, err := start(t, env)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.post(inst.base+"/login", url.Values{"email": {"ada@example.com"}, "password": {"correct horse battery"}}, inst.base+"/login")
	form := url.Values{"name": {"Sealed"}, "environment": {"development"}, "api_key": {"k1"}, "secret": {"the-secret"}, "renewal_rate": {"disabled"}}
	b.post(inst.base+"/tokens/new/redox", form, inst.base+"/tokens/new/redox")
	inst.stop()
	oldKey, _ := os.ReadFile(filepath.Join(dir, "master.key"))

	var out bytes.Buffer
	getenv := func(k string) string { return env[k] }
	if err := run(context.Background(), []string{"key", "rotate", "--master"}, getenv, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Re-wrapped 1 data key(s) under a new master key") {
		t.Fatalf("output %q", out.String())
	}
	newKey, _ := os.ReadFile(filepath.Join(dir, "master.key"))
	if bytes.Equal(oldKey, newKey) {
		t.Fatal("the key file did not change")
	}
	// The new key opens everything; the old one stops start-up.
	inst, err = start(t, env)
	if err != nil {
		t.Fatalf("start with the new key: %v", err)
	}
	_, doc := b.get(inst.base + "/tokens/1")
	if doc.Find("[data-testid=stored-secret]").Length() != 1 {
		t.Fatal("the token does not open under the new key")
	}
	inst.stop()
	withOld := map[string]string{"TOKENDESK_DATA_DIR": dir, "TOKENDESK_MASTER_KEY": strings.TrimSpace(string(oldKey))}
	if _, err := start(t, withOld); !errors.Is(err, secret.ErrWrongKey) {
		t.Fatalf("the old key still starts the server: %v", err)
	}
}
