package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx": the test reads the database as an operator would
	"github.com/tokendesk/tokendesk/internal/provider/redox"
	"github.com/tokendesk/tokendesk/internal/provider/redox/redoxtest"
	"github.com/tokendesk/tokendesk/internal/renewal"
	"github.com/tokendesk/tokendesk/internal/secret"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/store/storetest"
	"github.com/tokendesk/tokendesk/internal/token"
)

// These tests run several tokendesk processes on one PostgreSQL database,
// as replicas behind a load balancer would. They skip, saying why,
// without TOKENDESK_TEST_POSTGRES_URL (scripts/postgres-test sets it).

// countingRedox is the Redox emulator with a count of logins per API key:
// the provider's view of how often each token was renewed.
type countingRedox struct {
	*redoxtest.Server
	mu     sync.Mutex
	logins map[string]int
	total  atomic.Int64
}

func startCountingRedox(t *testing.T) (*countingRedox, string) {
	c := &countingRedox{Server: redoxtest.New(), logins: map[string]int{}}
	hs := httptest.NewServer(c)
	t.Cleanup(func() { c.Close(); hs.Close() })
	return c, hs.URL
}

func (c *countingRedox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/auth/authenticate" {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var in struct{ APIKey string }
		json.Unmarshal(body, &in)
		c.mu.Lock()
		c.logins[in.APIKey]++
		c.mu.Unlock()
		c.total.Add(1)
	}
	c.Server.ServeHTTP(w, r)
}

// renewedTwice lists the API keys logged in with more than once.
func (c *countingRedox) renewedTwice() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for k, n := range c.logins {
		if n > 1 {
			out = append(out, fmt.Sprintf("%s×%d", k, n))
		}
	}
	return out
}

// replicaWorld is one PostgreSQL database, its master key, a store handle
// for the test, and the environment every replica starts with.
type replicaWorld struct {
	t     *testing.T
	url   string
	key64 string
	box   *secret.Box
	st    *store.Store
	db    *sql.DB
	redox *countingRedox
	env   map[string]string
}

func newReplicaWorld(t *testing.T, pgURL string) *replicaWorld {
	t.Helper()
	if testing.Short() {
		t.Skip("starts processes")
	}
	key64, box := newMasterKey(t)
	st, err := store.Open(context.Background(), pgURL, box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.VerifyMasterKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", pgURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rdx, rdxURL := startCountingRedox(t)
	return &replicaWorld{t: t, url: pgURL, key64: key64, box: box, st: st, db: db, redox: rdx, env: map[string]string{
		"TOKENDESK_DATABASE_URL": pgURL, "TOKENDESK_MASTER_KEY": key64, "TOKENDESK_DATA_DIR": t.TempDir(),
		"TOKENDESK_REDOX_URL": rdxURL, "TOKENDESK_LOG_LEVEL": "info",
		"TOKENDESK_ADMIN_EMAIL": "ada@example.com", "TOKENDESK_ADMIN_PASSWORD": "correct horse battery",
	}}
}

// replicas starts n processes at once (as a deployment would) and waits
// until each listens.
func (w *replicaWorld) replicas(n int) []*process {
	w.t.Helper()
	ps := make([]*process, n)
	var wg sync.WaitGroup
	for i := range ps {
		env := map[string]string{}
		for k, v := range w.env {
			env[k] = v
		}
		env["TOKENDESK_DATA_DIR"] = w.t.TempDir()
		wg.Go(func() { ps[i] = startProcess(w.t, env) })
	}
	wg.Wait()
	for i, p := range ps {
		if p == nil {
			w.t.Fatalf("replica %d did not start", i)
		}
	}
	return ps
}

// dueTokens creates n Redox tokens, each with its own API key, due for
// renewal now.
func (w *replicaWorld) dueTokens(n int) {
	w.t.Helper()
	ctx := context.Background()
	for i := range n {
		key := fmt.Sprintf("key-%04d", i)
		w.redox.AddKey(key, "secret")
		if _, err := w.st.CreateToken(ctx, token.Change{Provider: redox.ID, Name: fmt.Sprintf("Feed %04d", i), Rate: "1h", Encrypted: true, Renewable: true,
			Set: map[string]string{redox.KeyEnvironment: "development", redox.KeyAPIKey: key, redox.KeySecret: "secret"}}, "test"); err != nil {
			w.t.Fatal(err)
		}
	}
	if _, err := w.db.Exec("UPDATE tokens SET next_renewal_at = $1", time.Now().Add(-time.Minute).UnixMilli()); err != nil {
		w.t.Fatal(err)
	}
}

// renewed counts the tokens renewed at least once, without failures.
func (w *replicaWorld) renewed() int {
	w.t.Helper()
	var n int
	if err := w.db.QueryRow("SELECT count(*) FROM tokens WHERE last_renewed_at IS NOT NULL AND failures = 0").Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// waitRenewed waits until all n tokens are renewed.
func (w *replicaWorld) waitRenewed(n int, within time.Duration) {
	w.t.Helper()
	start := time.Now()
	for w.renewed() < n {
		if time.Since(start) > within {
			w.t.Fatalf("after %v, %d of %d tokens renewed", within, w.renewed(), n)
		}
		time.Sleep(200 * time.Millisecond)
	}
	w.t.Logf("%d tokens renewed in %v", n, time.Since(start).Round(time.Millisecond))
}

// Three replicas on one database, 1,000 tokens due: the provider sees
// each token's login exactly once.
func TestThreeReplicasRenewEachTokenOnce(t *testing.T) {
	t.Parallel() // beside the other browser and replica tests: its own processes, browser and database
	w := newReplicaWorld(t, storetest.MigratedPostgresURL(t))
	const n = 1000
	w.dueTokens(n)
	w.replicas(3)
	w.waitRenewed(n, 2*time.Minute)
	time.Sleep(time.Second) // a straggler would show now
	if twice := w.redox.renewedTwice(); len(twice) > 0 || w.redox.total.Load() != n {
		t.Fatalf("%d logins for %d tokens; renewed more than once: %v", w.redox.total.Load(), n, twice)
	}
}

// A replica killed (SIGKILL) while renewing: the tokens it had claimed are
// renewed by the others once its leases end, and none is lost.
func TestAKilledReplicasClaimsAreTakenOver(t *testing.T) {
	t.Parallel() // beside the other browser and replica tests: its own processes, browser and database
	w := newReplicaWorld(t, storetest.MigratedPostgresURL(t))
	const n = 300
	w.dueTokens(n)
	w.redox.SetLatency(100 * time.Millisecond) // renewals in flight when the kill comes
	ps := w.replicas(3)
	for w.renewed() < n/10 {
		time.Sleep(20 * time.Millisecond)
	}
	// The victim is the replica holding the most leases right now.
	var victim *process
	var held int
	for victim == nil {
		var owner string
		err := w.db.QueryRow(`SELECT lease_owner, count(*) FROM tokens WHERE lease_until > $1 AND lease_owner IS NOT NULL
			GROUP BY lease_owner ORDER BY count(*) DESC LIMIT 1`, time.Now().UnixMilli()).Scan(&owner, &held)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if strings.Contains(owner, fmt.Sprintf("/%d/", p.cmd.Process.Pid)) {
				victim = p
			}
		}
	}
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	victim.cmd.Wait()
	owner := fmt.Sprintf("%%/%d/%%", victim.cmd.Process.Pid)
	if err := w.db.QueryRow("SELECT count(*) FROM tokens WHERE lease_owner LIKE $1 AND lease_until > $2", owner, time.Now().UnixMilli()).Scan(&held); err != nil {
		t.Fatal(err)
	}
	t.Logf("the killed replica held %d leases", held)
	if held == 0 {
		t.Fatal("the killed replica held no lease: the kill did not come mid-renewal")
	}
	// Its leases run two minutes; rather than wait, end them as the clock
	// would (what matters is what the others do once they have ended).
	if _, err := w.db.Exec("UPDATE tokens SET lease_until = $1 WHERE lease_owner LIKE $2", time.Now().Add(-time.Second).UnixMilli(), owner); err != nil {
		t.Fatal(err)
	}
	w.waitRenewed(n, 2*time.Minute)
	// Only the renewals the victim had under way with the provider (at
	// most its parallel renewals) were done twice; none was lost.
	if twice := w.redox.renewedTwice(); len(twice) > renewal.DefaultParallel {
		t.Fatalf("%d tokens renewed twice, more than the killed replica's %d renewals at once: %v", len(twice), renewal.DefaultParallel, twice)
	} else {
		t.Logf("renewed twice (in flight at the kill): %d", len(twice))
	}
}

// A session made on one replica works on another: sign in on A, open the
// form on B, save it on A with B's CSRF token; all replicas list it.
func TestASessionWorksOnEveryReplica(t *testing.T) {
	w := newReplicaWorld(t, storetest.MigratedPostgresURL(t))
	ps := w.replicas(2) // both with TOKENDESK_ADMIN_*, starting at once
	if n, err := w.st.CountUsers(context.Background()); err != nil || n != 1 {
		t.Fatalf("%d users, %v", n, err)
	}
	a, b := ps[0].base, ps[1].base
	br := newBrowser(t)
	if resp := br.post(a+"/login", url.Values{"email": {"ada@example.com"}, "password": {"correct horse battery"}}, a+"/login"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in on A: %d", resp.StatusCode)
	}
	form := url.Values{"name": {"Across"}, "environment": {"development"}, "api_key": {"k1"}, "secret": {"s1"}, "renewal_rate": {"1h"}}
	if resp := br.post(a+"/tokens/new/redox", form, b+"/tokens/new/redox"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save on A with B's form: %d", resp.StatusCode)
	}
	for _, base := range []string{a, b} {
		resp, doc := br.get(base + "/tokens")
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(doc.Find("[data-testid=token-name]").Text()) != "Across" {
			t.Fatalf("%s/tokens: %d, names %q", base, resp.StatusCode, doc.Find("[data-testid=token-name]").Text())
		}
	}
}

// A dedicated cluster that a test may restart: the shared one serves
// other tests at the same time.
type cluster struct {
	t       *testing.T
	bin     string
	data    string
	port    int
	runAs   []string
	url     string
	logFile string
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	if os.Getenv("TOKENDESK_TEST_POSTGRES_URL") == "" {
		t.Skip("TOKENDESK_TEST_POSTGRES_URL is not set: PostgreSQL tests skip (scripts/postgres-test go test ./... sets it)")
	}
	bin := os.Getenv("TOKENDESK_TEST_POSTGRES_BIN")
	if bin == "" {
		matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
		if len(matches) == 0 {
			t.Skip("no PostgreSQL binaries (initdb) to start a cluster of this test's own")
		}
		bin = filepath.Dir(matches[len(matches)-1])
	}
	top, err := os.MkdirTemp("", "tokendesk-pgrestart")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(top, 0o755)
	c := &cluster{t: t, bin: bin, data: filepath.Join(top, "data"), logFile: filepath.Join(top, "log")}
	os.Mkdir(c.data, 0o700)
	if os.Getuid() == 0 {
		c.runAs = []string{"runuser", "-u", "postgres", "--"}
		if out, err := exec.Command("chown", "-R", "postgres", top).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v %s", err, out)
		}
	}
	t.Cleanup(func() {
		c.pgctl("-m", "immediate", "-w", "stop")
		os.RemoveAll(top)
	})
	if out, err := c.command(filepath.Join(bin, "initdb"), "-D", c.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	if out, err := c.pgctl("-w", "-t", "60", "start"); err != nil {
		t.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
	c.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	return c
}

func (c *cluster) command(name string, args ...string) *exec.Cmd {
	all := append(append([]string{}, c.runAs...), name)
	all = append(all, args...)
	return exec.Command(all[0], all[1:]...)
}

func (c *cluster) pgctl(args ...string) ([]byte, error) {
	base := []string{"-D", c.data, "-l", c.logFile, "-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200", c.port, c.data)}
	return c.command(filepath.Join(c.bin, "pg_ctl"), append(base, args...)...).CombinedOutput()
}

// PostgreSQL stopped and started again under load: while it is down the
// console answers 503 with Retry-After (never a 500), the runtime API
// keeps serving the unexpired tokens it holds, /readyz says not ready and
// why; afterwards every replica is ready again without a restart and
// every write that was acknowledged is there.
func TestPostgresRestartUnderLoad(t *testing.T) {
	c := startCluster(t)
	w := newReplicaWorld(t, c.url)
	ctx := context.Background()
	if _, err := w.st.CreateToken(ctx, token.Change{Provider: redox.ID, Name: "Steady", Rate: "disabled", Encrypted: true,
		Set: map[string]string{redox.KeyEnvironment: "development", redox.KeyAPIKey: "k", redox.KeySecret: "s", redox.KeyAccessToken: "steady-token"}}, "test"); err != nil {
		t.Fatal(err)
	}
	_, apiKey, err := w.st.CreateClient(ctx, 0, "Load", "test")
	if err != nil {
		t.Fatal(err)
	}
	w.redox.AddKey("k", "s")
	ps := w.replicas(2)
	br := newBrowser(t)
	if resp := br.post(ps[0].base+"/login", url.Values{"email": {"ada@example.com"}, "password": {"correct horse battery"}}, ps[0].base+"/login"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	for _, p := range ps {
		if code, got := p.fetch(t, apiKey, "Steady"); code != http.StatusOK || got != "steady-token" {
			t.Fatalf("before: %d %q", code, got)
		}
	}

	var down atomic.Bool
	type tally struct {
		mu       sync.Mutex
		statuses map[string]int // "what status" → count
		acked    []string
		problems []string
	}
	tl := &tally{statuses: map[string]int{}}
	note := func(what string, status int, retryAfter string) {
		tl.mu.Lock()
		defer tl.mu.Unlock()
		phase := "up"
		if down.Load() {
			phase = "down"
		}
		tl.statuses[fmt.Sprintf("%s %s %d", phase, what, status)]++
		switch {
		case status >= 500 && status != http.StatusServiceUnavailable, status == http.StatusUnprocessableEntity:
			tl.problems = append(tl.problems, fmt.Sprintf("%s: %d", what, status))
		case status == http.StatusServiceUnavailable && retryAfter == "":
			tl.problems = append(tl.problems, what+": 503 without Retry-After")
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Go(func() { // a consumer polling its token
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest(http.MethodGet, p.base+"/api/v1/tokens/Steady", nil)
				req.Header.Set("Authorization", "Bearer "+apiKey)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				note("api", resp.StatusCode, resp.Header.Get("Retry-After"))
				time.Sleep(50 * time.Millisecond) // within each replica's share of the rate limit
			}
		})
		wg.Go(func() { // a person saving tokens, on this replica
			var csrf string
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("Saved %d %d", i, n)
				form := url.Values{"name": {name}, "environment": {"development"}, "api_key": {"k"}, "secret": {"s"}, "renewal_rate": {"1h"}}
				page, doc := br.get(p.base + "/tokens/new/redox")
				note("form", page.StatusCode, page.Header.Get("Retry-After"))
				if v, ok := doc.Find(`input[name="_csrf"]`).Attr("value"); page.StatusCode == http.StatusOK && ok {
					csrf = v
				}
				// Without a new form, the person saves the one still open
				// (its CSRF token is the session's); posting without one
				// would only be refused (403).
				form.Set("_csrf", csrf)
				resp, err := br.client.PostForm(p.base+"/tokens/new/redox", form)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				note("save", resp.StatusCode, resp.Header.Get("Retry-After"))
				if resp.StatusCode == http.StatusSeeOther {
					tl.mu.Lock()
					tl.acked = append(tl.acked, name)
					tl.mu.Unlock()
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	time.Sleep(time.Second)

	if out, err := c.pgctl("-m", "fast", "-w", "stop"); err != nil {
		t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
	down.Store(true)
	t.Log("PostgreSQL stopped")
	time.Sleep(time.Second)
	for _, p := range ps {
		resp, err := http.Get(p.base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(string(body), "not ready: database unavailable: ") {
			t.Fatalf("readyz while PostgreSQL is down: %d %q", resp.StatusCode, body)
		}
		t.Logf("readyz while down: %q", strings.TrimSpace(string(body)))
	}
	time.Sleep(2 * time.Second)
	if out, err := c.pgctl("-w", "-t", "60", "start"); err != nil {
		t.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
	down.Store(false)
	t.Log("PostgreSQL started again")

	// Every replica is ready again by itself.
	for _, p := range ps {
		start := time.Now()
		for {
			resp, err := http.Get(p.base + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Logf("%s ready again after %v", p.base, time.Since(start).Round(time.Millisecond))
				break
			}
			if time.Since(start) > 30*time.Second {
				t.Fatalf("%s not ready 30 s after PostgreSQL came back", p.base)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	time.Sleep(2 * time.Second) // load after the recovery too
	close(stop)
	wg.Wait()

	t.Logf("answers: %v", tl.statuses)
	if len(tl.problems) > 0 {
		t.Fatalf("%d bad answers, e.g. %v", len(tl.problems), tl.problems[:min(5, len(tl.problems))])
	}
	for what, n := range tl.statuses {
		if strings.HasSuffix(what, " 403") {
			t.Errorf("%d answers %q: a signed-in person with the form's CSRF token is never refused", n, what)
		}
	}
	for _, want := range []string{"down save 503", "down api 200", "up save 303"} {
		if tl.statuses[want] == 0 {
			t.Fatalf("no %q among the answers: %v", want, tl.statuses)
		}
	}
	// No acknowledged write is lost.
	for _, name := range tl.acked {
		if _, err := w.st.ResolveToken(ctx, 0, name); err != nil {
			t.Fatalf("%q was acknowledged (303) but is not in the database: %v", name, err)
		}
	}
	t.Logf("%d acknowledged saves, all kept", len(tl.acked))
	// And the console works on every replica again.
	for _, p := range ps {
		if resp, _ := br.get(p.base + "/tokens"); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s/tokens after recovery: %d", p.base, resp.StatusCode)
		}
	}
}

// Issue 19 item 1 on PostgreSQL: two replicas serve a token from memory;
// when the service refuses its grant (marked by a third party, as another
// replica's renewal would), both stop serving it within a poll of the
// change log, although the stored access token has not expired.
func TestEveryReplicaStopsServingATokenThatNeedsReconnect(t *testing.T) {
	w := newReplicaWorld(t, storetest.MigratedPostgresURL(t))
	ctx := context.Background()
	tok, err := w.st.CreateToken(ctx, token.Change{Provider: redox.ID, Name: "Lab Feed", Rate: token.Disabled, Encrypted: true,
		Set: map[string]string{redox.KeyEnvironment: "development", redox.KeyAPIKey: "k", redox.KeySecret: "s", redox.KeyAccessToken: "live"}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	_, apiKey, err := w.st.CreateClient(ctx, 0, "Replica check", "test")
	if err != nil {
		t.Fatal(err)
	}
	ps := w.replicas(2)
	for i, p := range ps {
		if code, got := p.fetch(t, apiKey, "Lab Feed"); code != http.StatusOK || got != "live" {
			t.Fatalf("replica %d before: %d %q", i, code, got)
		}
	}
	claim, err := w.st.ClaimOne(ctx, tok.ID, "another-replica", time.Now(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.st.MarkNeedsReconnect(ctx, claim, "invalid_grant", time.Now()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i, p := range ps {
		for {
			code, got := p.fetch(t, apiKey, "Lab Feed")
			if code == http.StatusConflict && got == "needs_reconnect" {
				t.Logf("replica %d stopped serving it after %v", i, time.Since(start).Round(time.Millisecond))
				break
			}
			if time.Since(start) > time.Second {
				t.Fatalf("replica %d still answers %d %q after 1 s", i, code, got)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
