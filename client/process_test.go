package client_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider/redox/redoxtest"
	"github.com/tokendesk/tokendesk/internal/secret"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
)

// The tests and examples of this package run against a real tokendesk:
// the binary built from cmd/tokendesk, started as its own process on a
// SQLite data directory, its Redox pointed at the Redox emulator (in this
// test process), as an app would meet it.

var (
	// tokendeskURL and apiKey are what an app is configured with.
	tokendeskURL string
	apiKey       string
	// redoxURL is the (emulated) service the tokens are for.
	redoxURL string
	redox    *redoxtest.Server
	// labFeedID is "Lab Feed"'s id, for its page in the console.
	labFeedID int64
	// tokendeskLog is the process's log file.
	tokendeskLog string
)

const (
	oldFeedAccess = "old-feed-access-token-value"
	adminEmail    = "ada@example.com"
	adminPassword = "a long password for the tests"
)

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("client: skipping: the tests start a tokendesk process")
		os.Exit(0)
	}
	stop, err := startTokendesk()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

var listening = regexp.MustCompile(`msg="tokendesk is listening" addr=(\S+)`)

// startTokendesk builds and starts tokendesk with two tokens and a global
// API client: "Lab Feed" and "Lab Upload" (Redox, renewable, their access
// tokens ones the emulator never issued, so the service refuses them until
// renewed; not scheduled, so that the renewal worker leaves them to the
// tests), "Old Feed", "Stale Feed" (reported refused by the tests) and
// "Résultats Labo" (Redox, Renewal Rate Disabled).
func startTokendesk() (stop func(), err error) {
	dir, err := os.MkdirTemp("", "tokendesk-client")
	if err != nil {
		return nil, err
	}
	cleanups := []func(){func() { os.RemoveAll(dir) }}
	stop = func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	fail := func(err error) (func(), error) { stop(); return nil, err }

	bin := filepath.Join(dir, "tokendesk")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/tokendesk").CombinedOutput(); err != nil {
		return fail(fmt.Errorf("go build: %v\n%s", err, out))
	}

	redox = redoxtest.New().AddKey("lab-api-key", "lab-secret")
	// The service behind the proxy snippets: /me answers who called, as a
	// service's "who am I" does, so a test sees the call arrive with the
	// token tokendesk added (and never the app's key); the rest is Redox.
	mux := http.NewServeMux()
	mux.Handle("/", redox)
	mux.HandleFunc("/me", func(w http.ResponseWriter, r *http.Request) {
		bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || bearer == "" || strings.HasPrefix(bearer, "tdk_") {
			http.Error(w, `{"error":"no token"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"me":"lab feed's service"}`)
	})
	hs := httptest.NewServer(mux)
	cleanups = append(cleanups, hs.Close)
	redoxURL = hs.URL

	keyBytes := make([]byte, 32)
	rand.Read(keyBytes)
	box, err := secret.NewBox(keyBytes)
	if err != nil {
		return fail(err)
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		return fail(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(data, "tokendesk.db"), box)
	if err != nil {
		return fail(err)
	}
	lab, err := st.CreateToken(ctx, token.Change{Provider: "redox", Name: "Lab Feed", Encrypted: true, Rate: "1h",
		Set: map[string]string{"api_key": "lab-api-key", "secret": "lab-secret", "environment": "development", "access_token": "not-issued-by-redox"}}, "test")
	if err != nil {
		return fail(err)
	}
	labFeedID = lab.ID
	if _, err := st.CreateToken(ctx, token.Change{Provider: "redox", Name: "Lab Upload", Encrypted: true, Rate: "1h",
		Set: map[string]string{"api_key": "lab-api-key", "secret": "lab-secret", "environment": "development", "access_token": "also-not-issued-by-redox"}}, "test"); err != nil {
		return fail(err)
	}
	if _, err := st.CreateToken(ctx, token.Change{Provider: "redox", Name: "Résultats Labo", Encrypted: true, Rate: token.Disabled,
		Set: map[string]string{"api_key": "lab-api-key", "secret": "lab-secret", "environment": "development", "access_token": oldFeedAccess + "-fr"}}, "test"); err != nil {
		return fail(err)
	}
	if _, err := st.CreateToken(ctx, token.Change{Provider: "redox", Name: "Stale Feed", Encrypted: true, Rate: token.Disabled,
		Set: map[string]string{"api_key": "lab-api-key", "secret": "lab-secret", "environment": "development", "access_token": oldFeedAccess + "-stale"}}, "test"); err != nil {
		return fail(err)
	}
	if _, err := st.CreateToken(ctx, token.Change{Provider: "redox", Name: "Old Feed", Encrypted: true, Rate: token.Disabled,
		Set: map[string]string{"api_key": "lab-api-key", "secret": "lab-secret", "environment": "development", "access_token": oldFeedAccess}}, "test"); err != nil {
		return fail(err)
	}
	if _, apiKey, err = st.CreateClient(ctx, 0, "Client library tests", "test"); err != nil {
		return fail(err)
	}
	st.Close()

	tokendeskLog = filepath.Join(dir, "tokendesk.log")
	logFile, err := os.Create(tokendeskLog)
	if err != nil {
		return fail(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"TOKENDESK_DATA_DIR=" + data, "TOKENDESK_MASTER_KEY=" + base64.StdEncoding.EncodeToString(keyBytes),
		"TOKENDESK_ADMIN_EMAIL=" + adminEmail, "TOKENDESK_ADMIN_PASSWORD=" + adminPassword,
		"TOKENDESK_REDOX_URL=" + redoxURL, "TOKENDESK_ZOOM_API_URL=http://127.0.0.1:9", "TOKENDESK_ZOOM_OAUTH_URL=http://127.0.0.1:9"}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return fail(err)
	}
	cleanups = append(cleanups, func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(tokendeskLog)
		if m := listening.FindSubmatch(b); m != nil {
			tokendeskURL = "http://" + string(m[1])
			return stop, nil
		}
	}
	b, _ := os.ReadFile(tokendeskLog)
	return fail(fmt.Errorf("tokendesk did not start; its log:\n%s", b))
}
