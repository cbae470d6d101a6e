package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/tokendesk/tokendesk/internal/auth"
	"github.com/tokendesk/tokendesk/internal/clocktest"
	"github.com/tokendesk/tokendesk/internal/config"
	"github.com/tokendesk/tokendesk/internal/netguard"
	"github.com/tokendesk/tokendesk/internal/notify"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/redox/redoxtest"
	"github.com/tokendesk/tokendesk/internal/provider/registry"
	"github.com/tokendesk/tokendesk/internal/provider/zoom/zoomtest"
	"github.com/tokendesk/tokendesk/internal/renewal"
	"github.com/tokendesk/tokendesk/internal/secret"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/store/storetest"
	"golang.org/x/crypto/bcrypt"
)

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type testServer struct {
	t        testing.TB
	dir      string
	srv      *Server
	http     *httptest.Server
	client   *http.Client
	store    *store.Store
	box      *secret.Box
	logs     *syncBuffer
	clock    *clocktest.Clock
	redox    *redoxtest.Server
	zoom     *zoomtest.Server
	redoxURL string
	zoomURL  string
	last     *goquery.Document // the last HTML page fetched, for its CSRF token
	dbURL    string            // the database (a SQLite file or a PostgreSQL URL), for replica()
}

const (
	adminEmail    = "ada@example.com"
	adminPassword = "correct horse battery"

	// Credentials the emulators accept.
	redoxKey         = "rdx-key-1234"
	redoxSecret      = "rdx-secret-5678"
	zoomKey          = "zm-key-1234"
	zoomSecret       = "zm-secret-5678"
	zoomAccount      = "zm-account-1"
	zoomClient       = "zm-client-1"
	zoomClientSecret = "zm-client-secret-1"
)

type testSetup struct {
	Deps
	noAdmin bool
}

type testOption func(*testSetup)

func withConfig(f func(*config.Config)) testOption {
	return func(d *testSetup) { f(&d.Config) }
}

// withProviderGuard gives the server the provider client `tokendesk serve`
// builds: typed URLs reach private addresses only when Settings allows.
func withProviderGuard() testOption {
	return func(d *testSetup) { d.HTTPClient = NewProviderClient(d.Config, d.Store) }
}

// withoutUsers starts like a fresh installation: no user, a setup code.
func withoutUsers(code string) testOption {
	return func(d *testSetup) { d.noAdmin, d.Setup = true, NewSetupCode(code) }
}

// webOnPostgres: TOKENDESK_TEST_WEB_DATABASE=postgres runs these tests on
// a fresh PostgreSQL database each (see storetest) instead of SQLite.
func webOnPostgres() bool { return os.Getenv("TOKENDESK_TEST_WEB_DATABASE") == storetest.Postgres }

// sqliteFileOnly skips a test that reads or mangles the SQLite file itself.
func sqliteFileOnly(t testing.TB) {
	if webOnPostgres() {
		t.Skip("reads the SQLite file directly; the web tests run on PostgreSQL")
	}
}

// testMasterKey is every test server's master key, one per test binary,
// so that their databases can be copies of one migrated template
// (storetest.MigratedSQLite) rather than each running every migration.
var testMasterKey = secret.GenerateKey()

// parallelTests are the tests runInParallel has made parallel.
var parallelTests sync.Map // *testing.T → true

// runInParallel lets a top-level test that starts a test server run beside
// the others: each has its own temporary directory, database, emulators,
// clock and httptest listener, and nothing in the package's tests changes
// shared state. On two cores this keeps both busy through the web tests
// (most of the suite's time) once the other packages are done. Subtests are
// left alone: a parent may read what they did after t.Run returns, so a
// subtest opts in itself with t.Parallel(). Such a test (and its subtests)
// cannot use t.Setenv, which changes the whole process: settings reach the
// server through withConfig.
func runInParallel(t testing.TB) {
	tt, ok := t.(*testing.T)
	if !ok || strings.Contains(tt.Name(), "/") {
		return
	}
	if _, done := parallelTests.LoadOrStore(tt, true); done {
		return // a second server in the same test
	}
	tt.Cleanup(func() { parallelTests.Delete(tt) })
	tt.Parallel()
}

// runAlone keeps t out of the parallel phase: for a test that measures
// the whole process (allocations, memory), which tests running beside it
// would add to. Call it before newTestServer.
func runAlone(t *testing.T) {
	parallelTests.Store(t, true)
	t.Cleanup(func() { parallelTests.Delete(t) })
}

// newTestServer runs the real router and middleware over real SQLite in a
// temporary directory, with an administrator ready to sign in.
func newTestServer(t testing.TB, opts ...testOption) *testServer {
	t.Helper()
	runInParallel(t)
	dir := t.TempDir()
	box, err := secret.NewBox(testMasterKey)
	if err != nil {
		t.Fatal(err)
	}
	clock := clocktest.At(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	dbURL := filepath.Join(dir, "tokendesk.db")
	if webOnPostgres() {
		dbURL = storetest.MigratedPostgresURL(t)
	} else {
		storetest.MigratedSQLite(t, testMasterKey, dbURL)
	}
	st, err := store.Open(context.Background(), dbURL, box)
	if err != nil {
		t.Fatal(err)
	}
	st.Now = clock.Now
	if err := st.VerifyMasterKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })

	cfg, err := config.Load(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// The providers are the emulators, with known good credentials.
	redox, redoxURL := redoxtest.Start(t)
	redox.SetClock(clock.Now)
	redox.AddKey(redoxKey, redoxSecret)
	zoom, zoomURL := zoomtest.Start(t)
	zoom.SetClock(clock.Now)
	zoom.AddAccount(zoomtest.User{ID: "zu1", FirstName: "Ada", LastName: "Lovelace", Email: "ada@zoom.example", AccountID: zoomAccount})
	zoom.AddJWTApp(zoomAccount, zoomKey, zoomSecret)
	zoom.AddS2SApp(zoomAccount, zoomClient, zoomClientSecret)
	pointAtEmulators(t, cfg.ProviderURLs, map[string]string{redoxtest.Emulator.Name: redoxURL, zoomtest.Emulator.Name: zoomURL})

	logs := &syncBuffer{}
	d := testSetup{Deps: Deps{
		Config: cfg, Store: st, Box: box, Now: clock.Now,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Hasher: auth.Hasher{Cost: bcrypt.MinCost},
	}}
	for _, o := range opts {
		o(&d)
	}
	if d.HTTPClient == nil {
		// The production client, built with private targets allowed: the
		// emulators listen on 127.0.0.1. withProviderGuard turns the guard on.
		d.HTTPClient = netguard.NewProviderClient(provider.DefaultTimeout, func(context.Context) bool { return true })
	}
	if d.Renewer == nil {
		env := ProviderEnv(cfg, d.HTTPClient, clock.Now)
		w := renewal.New(st, registry.ByID, env, d.Logger, renewal.NewMetrics(prometheus.NewRegistry(), st, clock.Now, registry.Retired()))
		w.Clock, w.Jitter, w.Spread = renewal.TimeFrom(clock.Now), func() float64 { return 0.5 }, 0
		d.Renewer = w
	}
	if d.Notifier == nil {
		n := notify.New(st, d.Logger)
		n.Clock, n.Jitter = notify.TimeFrom(clock.Now), func() float64 { return 0.5 }
		d.Notifier = n
	}
	srv := New(d.Deps)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)

	ts := &testServer{t: t, dir: dir, srv: srv, http: hs, store: st, box: box, logs: logs, clock: clock, redox: redox, zoom: zoom, redoxURL: redoxURL, zoomURL: zoomURL, dbURL: dbURL}
	ts.client = ts.newClient()
	if !d.noAdmin {
		ts.addUser(adminEmail, adminPassword, store.RoleAdmin)
	}
	return ts
}

func (ts *testServer) newClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (ts *testServer) addUser(email, password, role string) store.User {
	ts.t.Helper()
	hash, err := auth.Hasher{Cost: bcrypt.MinCost}.Hash(password)
	if err != nil {
		ts.t.Fatal(err)
	}
	u, err := ts.store.CreateUser(context.Background(), email, hash, role)
	if err != nil {
		ts.t.Fatal(err)
	}
	return u
}

// page is a fetched response with its parsed HTML.
type page struct {
	*http.Response
	Body string
	Doc  *goquery.Document
}

func (p page) text(sel string) string { return strings.TrimSpace(p.Doc.Find(sel).First().Text()) }

func (ts *testServer) do(req *http.Request) page {
	ts.t.Helper()
	resp, err := ts.client.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") && doc.Find("body").Length() > 0 {
		ts.last = doc
	}
	return page{Response: resp, Body: string(body), Doc: doc}
}

func (ts *testServer) get(path string) page {
	ts.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.http.URL+path, nil)
	return ts.do(req)
}

// csrf returns the CSRF token of the last page fetched, fetching one when
// there is none (every page, even an error page, carries a token).
func (ts *testServer) csrf() string {
	ts.t.Helper()
	from := func(doc *goquery.Document) string {
		if doc == nil {
			return ""
		}
		tok, _ := doc.Find(`input[name="_csrf"]`).First().Attr("value")
		return tok
	}
	if tok := from(ts.last); tok != "" {
		return tok
	}
	if tok := from(ts.get("/login").Doc); tok != "" {
		return tok
	}
	return from(ts.get("/no-such-page").Doc)
}

// post submits a form with the current CSRF token.
func (ts *testServer) post(path string, form url.Values) page {
	ts.t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if _, ok := f["_csrf"]; !ok {
		f.Set("_csrf", ts.csrf())
	}
	return ts.postRaw(path, f)
}

// postRaw submits exactly form, with no CSRF token added.
func (ts *testServer) postRaw(path string, form url.Values) page {
	ts.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.http.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return ts.do(req)
}

func (ts *testServer) signIn(email, password string) page {
	ts.t.Helper()
	ts.last = nil // a form from before this sign-in carries an older session's token
	ts.get("/login")
	p := ts.post("/login", url.Values{"email": {email}, "password": {password}})
	if p.StatusCode != http.StatusSeeOther {
		ts.t.Fatalf("sign in as %s: status %d: %s", email, p.StatusCode, p.text("[data-testid=login-error]"))
	}
	return p
}

func (ts *testServer) signInAdmin() { ts.t.Helper(); ts.signIn(adminEmail, adminPassword) }

func wantStatus(t testing.TB, p page, want int) {
	t.Helper()
	if p.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d\n%s", p.Request.Method, p.Request.URL.Path, p.StatusCode, want, excerpt(p.Body))
	}
}

func wantRedirect(t testing.TB, p page, to string) {
	t.Helper()
	wantStatus(t, p, http.StatusSeeOther)
	if loc := p.Header.Get("Location"); loc != to {
		t.Fatalf("redirect to %q, want %q", loc, to)
	}
}

func excerpt(s string) string {
	if i := strings.Index(s, `<main`); i >= 0 {
		s = s[i:]
	}
	if len(s) > 1500 {
		s = s[:1500]
	}
	return s
}
