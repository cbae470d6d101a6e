package web

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
)

// The README's example of reporting a refused token works as written: its
// curl command, run by a shell with TOKENDESK_KEY and ACCESS_TOKEN set,
// against a test server in place of 127.0.0.1:8080.
func TestTheREADMERefreshExampleWorks(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cmd := regexp.MustCompile("(?s)```sh\n(\\s*curl -s -X POST [^`]*?/refresh)\n\\s*```").FindSubmatch(readme)
	if cmd == nil {
		t.Fatal("the README has no curl example of the refresh call")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	connect(t, ts, emu, "Lab Feed", "1h")
	key := createClient(t, ts, "/clients", "Job")
	refused := apiGet(t, ts, key, "Lab Feed").Token["access_token"].(string)
	ts.clock.Advance(time.Minute)

	script := strings.ReplaceAll(string(cmd[1]), "http://127.0.0.1:8080", ts.http.URL)
	sh := exec.Command("sh", "-c", script)
	sh.Env = append(os.Environ(), "TOKENDESK_KEY="+key, "ACCESS_TOKEN="+refused)
	out, err := sh.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil || got["name"] != "Lab Feed" || got["access_token"] == refused || got["access_token"] == "" {
		t.Fatalf("the README's command answered %s", out)
	}
}
