package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/tokendesk/tokendesk/internal/token"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/secret"
	"github.com/tokendesk/tokendesk/internal/store"
)

// The tests in this file run tokendesk as real OS processes, the way
// several replicas would run: built once, started with an environment,
// stopped with SIGTERM or killed.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds tokendesk once per test run.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tokendesk-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "tokendesk")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// process is one tokendesk serve process.
type process struct {
	base    string
	cmd     *exec.Cmd
	logPath string
}

var listening = regexp.MustCompile(`msg="tokendesk is listening" addr=(\S+)`)

// startProcess runs `tokendesk serve` on a free loopback port with env
// (on top of a minimal environment) and waits until it listens. Its log
// goes to a file, as a real deployment's would.
func startProcess(t testing.TB, env map[string]string) *process {
	t.Helper()
	cmd := exec.Command(binary(t), "serve", "--addr", "127.0.0.1:0")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		// Providers default to loopback's discard port: tests never reach out.
		"TOKENDESK_REDOX_URL=http://127.0.0.1:9", "TOKENDESK_ZOOM_API_URL=http://127.0.0.1:9", "TOKENDESK_ZOOM_OAUTH_URL=http://127.0.0.1:9"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logPath := filepath.Join(t.TempDir(), "tokendesk.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close() // the child keeps its own descriptor
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, logPath: logPath}
	t.Cleanup(func() { p.stop() })
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := listening.FindStringSubmatch(p.logs()); m != nil {
			p.base = "http://" + m[1]
			return p
		}
	}
	t.Fatalf("tokendesk did not start; its log:\n%s", p.logs())
	return nil
}

// logs is what the process has logged so far.
func (p *process) logs() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// stop ends the process with SIGTERM and waits for it.
func (p *process) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

// fetch asks the runtime API for a token and returns the status and the
// access token (or the error code).
func (p *process) fetch(t testing.TB, key, name string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.base+"/api/v1/tokens/"+url.PathEscape(name), nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var ans struct {
		AccessToken string `json:"access_token"`
		Error       struct{ Code string }
	}
	json.Unmarshal(body, &ans)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, ans.Error.Code
	}
	return resp.StatusCode, ans.AccessToken
}

// newMasterKey returns a fresh master key, as TOKENDESK_MASTER_KEY takes it.
func newMasterKey(t testing.TB) (string, *secret.Box) {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(key), box
}

// openDataDir opens the store a process started on dir would use.
func openDataDir(t testing.TB, dir string, box *secret.Box) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dir, "tokendesk.db"), box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.VerifyMasterKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestAnotherProcessSeesWritesWithinASecond: a tokendesk process answers
// the runtime API from memory, yet a write made by another process sharing
// its database (here: this test process) shows within a second — an edit,
// a new token, a revoked key.
func TestAnotherProcessSeesWritesWithinASecond(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	ctx := context.Background()
	dir := t.TempDir()
	key64, box := newMasterKey(t)
	st := openDataDir(t, dir, box)

	tok, err := st.CreateToken(ctx, token.Change{Provider: "redox", Name: "Lab Feed", Encrypted: true, Rate: "disabled",
		Set: map[string]string{"api_key": "k", "secret": "s", "access_token": "first"}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	client, apiKey, err := st.CreateClient(ctx, 0, "Replica check", "test")
	if err != nil {
		t.Fatal(err)
	}

	p := startProcess(t, map[string]string{"TOKENDESK_DATA_DIR": dir, "TOKENDESK_MASTER_KEY": key64})
	if code, got := p.fetch(t, apiKey, "Lab Feed"); code != http.StatusOK || got != "first" {
		t.Fatalf("first fetch: %d %q", code, got)
	}

	// within waits until fetch returns want and says how long it took.
	within := func(what string, want func(int, string) bool, name string) {
		t.Helper()
		start := time.Now()
		for {
			code, got := p.fetch(t, apiKey, name)
			if want(code, got) {
				t.Logf("%s: seen by the other process after %v", what, time.Since(start).Round(time.Millisecond))
				return
			}
			if time.Since(start) > time.Second {
				t.Fatalf("%s: after 1 s the other process still answers %d %q", what, code, got)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	if _, _, err := st.UpdateToken(ctx, tok.ID, tok.Version, token.Change{Provider: "redox", Name: "Lab Feed", Encrypted: true, Rate: "disabled",
		Set: map[string]string{"access_token": "second"}, ForgetExpiry: true}, "test"); err != nil {
		t.Fatal(err)
	}
	within("an edit", func(code int, got string) bool { return code == http.StatusOK && got == "second" }, "Lab Feed")

	if code, _ := p.fetch(t, apiKey, "Billing"); code != http.StatusNotFound {
		t.Fatalf("Billing before it exists: %d", code)
	}
	if _, err := st.CreateToken(ctx, token.Change{Provider: "redox", Name: "Billing", Encrypted: true, Rate: "disabled",
		Set: map[string]string{"api_key": "k", "secret": "s", "access_token": "billing"}}, "test"); err != nil {
		t.Fatal(err)
	}
	within("a new token", func(code int, got string) bool { return code == http.StatusOK && got == "billing" }, "Billing")

	// Issue 19 item 1: the service refused the token's grant (here: the
	// renewal of another replica, this test process) — the other process
	// stops serving the token it still holds in memory, though it has not
	// expired.
	if code, got := p.fetch(t, apiKey, "Lab Feed"); code != http.StatusOK || got != "second" {
		t.Fatalf("before the refusal: %d %q", code, got)
	}
	claim, err := st.ClaimOne(ctx, tok.ID, "other-replica", time.Now(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MarkNeedsReconnect(ctx, claim, "invalid_grant", time.Now()); err != nil {
		t.Fatal(err)
	}
	within("a grant refused for good", func(code int, got string) bool { return code == http.StatusConflict && got == "needs_reconnect" }, "Lab Feed")

	if _, err := st.RevokeClient(ctx, 0, client.ID, "test"); err != nil {
		t.Fatal(err)
	}
	within("a revoked key", func(code int, _ string) bool { return code == http.StatusUnauthorized }, "Lab Feed")
}
