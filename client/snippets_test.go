package client_test

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// console signs in to the tokendesk the tests started, as its administrator.
func console(t *testing.T) (get func(path string) *goquery.Document, post func(path string, form url.Values) *goquery.Document) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	var csrf string
	read := func(resp *http.Response, err error) *goquery.Document {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		doc, err := goquery.NewDocumentFromReader(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %v", resp.Request.URL, resp.StatusCode, err)
		}
		if v, ok := doc.Find(`input[name="_csrf"]`).First().Attr("value"); ok {
			csrf = v
		}
		return doc
	}
	get = func(path string) *goquery.Document { t.Helper(); return read(hc.Get(tokendeskURL + path)) }
	post = func(path string, form url.Values) *goquery.Document {
		t.Helper()
		form.Set("_csrf", csrf)
		return read(hc.PostForm(tokendeskURL+path, form))
	}
	get("/login")
	post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}})
	return get, post
}

// Issue 22: the snippets a token's page and the one-time key page show
// work as printed, against a real tokendesk: curl (in sh), Go (go run),
// Python (requests) and JavaScript (fetch, in node), each with only
// TOKENDESK_KEY set, as the page says. A wrong key makes the Python and
// JavaScript ones fail with tokendesk's error code.
func TestConsoleSnippetsRunAsPrinted(t *testing.T) {
	get, post := console(t)
	page := get("/tokens/" + strconv.FormatInt(labFeedID, 10))
	snippet := func(doc *goquery.Document, id string) string {
		t.Helper()
		s := doc.Find("[data-testid=api-usage] pre#" + id).Text()
		if s == "" {
			t.Fatalf("no %s on the page", id)
		}
		return s
	}
	run := func(key, name string, args ...string) (string, error) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TOKENDESK_KEY=" + key}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	fetched := func(what, out string) {
		t.Helper()
		var a struct {
			Name        string
			AccessToken string `json:"access_token"`
		}
		if json.Unmarshal([]byte(out), &a) != nil || a.Name != "Lab Feed" || a.AccessToken == "" {
			t.Errorf("%s printed %q", what, out)
		}
	}

	curl := snippet(page, "snippet-curl")
	out, err := run(apiKey, "sh", "-c", curl)
	if err != nil {
		t.Fatalf("curl: %v %s", err, out)
	}
	fetched("curl", out)

	// Through the proxy: the service answers, and the app never held the
	// token (the service refuses an app key in its place).
	proxyCurl := snippet(page, "snippet-proxy-curl")
	if out, err := run(apiKey, "sh", "-c", proxyCurl); err != nil || out != `{"me":"lab feed's service"}` {
		t.Errorf("curl through the proxy: %v %q", err, out)
	}

	// A snippet that is not run is not checked: a missing interpreter
	// fails the test, unless TOKENDESK_SNIPPETS_OPTIONAL=1 says that this
	// machine may go without (.ci/run installs them).
	missing := func(what string) {
		t.Helper()
		if os.Getenv("TOKENDESK_SNIPPETS_OPTIONAL") == "1" {
			t.Logf("%s: that snippet is not run (TOKENDESK_SNIPPETS_OPTIONAL=1)", what)
			return
		}
		t.Errorf("%s, so that snippet cannot be checked: install it (Debian: apt-get install python3-requests nodejs) or set TOKENDESK_SNIPPETS_OPTIONAL=1", what)
	}
	py := snippet(page, "snippet-python")
	if _, err := exec.LookPath("python3"); err != nil {
		missing("python3 is not installed")
	} else if exec.Command("python3", "-c", "import requests").Run() != nil {
		missing("python3 has no requests module")
	} else {
		if out, err := run(apiKey, "python3", "-c", py); err != nil || !strings.HasPrefix(out, "expires at 20") {
			t.Errorf("Python: %v %s", err, out)
		}
		if out, err := run("tdk_wrong", "python3", "-c", py); err == nil || !strings.Contains(out, "tokendesk: 401 unauthorized:") {
			t.Errorf("Python with a wrong key: %v %s", err, out)
		}
		if out, err := run(apiKey, "python3", "-c", snippet(page, "snippet-proxy-python")); err != nil || strings.TrimSpace(out) != `200 {"me":"lab feed's service"}` {
			t.Errorf("Python through the proxy: %v %q", err, out)
		}
	}

	// The Go one, built inside this module (as an app's module requiring
	// it would build it) and run.
	dir, err := os.MkdirTemp(".", "_snippet")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(dir+"/main.go", []byte(snippet(page, "snippet-go")), 0o600); err != nil {
		t.Fatal(err)
	}
	gorun := exec.Command("go", "run", "./"+dir)
	gorun.Env = append(os.Environ(), "TOKENDESK_KEY="+apiKey)
	if out, err := gorun.CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "expires at 20") {
		t.Errorf("Go: %v %s", err, out)
	}

	js := snippet(page, "snippet-js")
	if _, err := exec.LookPath("node"); err != nil {
		missing("node is not installed")
	} else {
		if out, err := run(apiKey, "node", "--input-type=module", "-e", js); err != nil || !strings.HasPrefix(out, "expires at 20") {
			t.Errorf("JavaScript: %v %s", err, out)
		}
		if out, err := run("tdk_wrong", "node", "--input-type=module", "-e", js); err == nil || !strings.Contains(out, "tokendesk: 401 unauthorized:") {
			t.Errorf("JavaScript with a wrong key: %v %s", err, out)
		}
	}

	// The one-time key page: its key line, then curl, with nothing set.
	get("/clients")
	created := post("/clients", url.Values{"name": {"Snippet test"}})
	key := created.Find("[data-testid=key]").Text()
	shell := snippet(created, "snippet-key") + "\n" + snippet(created, "snippet-curl")
	if !strings.Contains(shell, key) {
		t.Fatalf("the key page's key line lacks the key: %s", shell)
	}
	out, err = run("", "sh", "-c", shell)
	if err != nil {
		t.Fatalf("curl from the key page: %v %s", err, out)
	}
	var a struct{ Name string }
	if json.Unmarshal([]byte(out), &a) != nil || a.Name == "" {
		t.Errorf("curl from the key page printed %q", out)
	}
}
