package web

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/config"
)

const (
	chromeLinux    = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	firefoxWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
)

// uaTransport sends a browser's User-Agent.
type uaTransport struct{ ua string }

func (u uaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", u.ua)
	return http.DefaultTransport.RoundTrip(r)
}

// browser is another browser on the same server, with its User-Agent.
func browser(ts *testServer, ua string) *testServer {
	b := newTestServerClient(ts)
	b.client.Transport = uaTransport{ua}
	return b
}

type sessionRow struct{ device, address, endURL, user string }

func sessionRows(t *testing.T, p page) (rows []sessionRow, current int) {
	t.Helper()
	wantStatus(t, p, http.StatusOK)
	current = -1
	p.Doc.Find("[data-testid=session-row]").Each(func(i int, r *goquery.Selection) {
		end, _ := r.Find("form").Attr("action")
		user, _ := r.Find("input[name=user]").Attr("value")
		rows = append(rows, sessionRow{strings.TrimSpace(r.Find("[data-testid=session-device]").Text()), strings.TrimSpace(r.Find("[data-testid=session-address]").Text()), end, user})
		if r.Find("[data-testid=this-session]").Length() > 0 {
			current = i
		}
	})
	return rows, current
}

// A person sees their sessions (device, address, times, this one marked),
// reached from the menu, and ends one: that browser is signed out at once,
// this one stays signed in.
func TestSessionsListAndEnd(t *testing.T) {
	ts := newTestServer(t)
	a := browser(ts, chromeLinux)
	a.signInAdmin()
	ts.clock.Advance(2 * time.Minute)
	b := browser(ts, firefoxWindows)
	b.signInAdmin()

	if href, _ := a.get("/tokens").Doc.Find("[data-testid=nav-sessions]").Attr("href"); href != "/sessions" {
		t.Fatalf("menu link %q", href)
	}
	rows, current := sessionRows(t, a.get("/sessions"))
	if len(rows) != 2 || rows[0].device != "Firefox on Windows" || rows[1].device != "Chrome on Linux" || rows[1].address != "127.0.0.1" {
		t.Fatalf("sessions: %+v", rows)
	}
	if current != 1 {
		t.Fatalf("this session marked at %d, want the Chrome one", current)
	}
	for _, r := range rows {
		if strings.Contains(r.endURL, b.cookie(t)) || strings.Contains(r.endURL, hashOf(b.cookie(t))) {
			t.Fatal("a session's cookie or its stored hash is in a URL")
		}
	}

	// Without a CSRF token nothing ends.
	wantStatus(t, a.postRaw(rows[0].endURL, url.Values{"user": {rows[0].user}}), http.StatusForbidden)
	wantStatus(t, b.get("/tokens"), http.StatusOK)

	a.get("/sessions")
	wantRedirect(t, a.post(rows[0].endURL, url.Values{"user": {rows[0].user}}), "/sessions")
	if !sentToLogin(b.get("/tokens")) {
		t.Fatal("the ended session still works")
	}
	wantStatus(t, a.get("/tokens"), http.StatusOK)
	if rows, _ := sessionRows(t, a.get("/sessions")); len(rows) != 1 {
		t.Fatalf("after ending one: %+v", rows)
	}
	// Ending it again: it has ended already.
	wantStatus(t, a.post(rows[0].endURL, url.Values{"user": {rows[0].user}}), http.StatusNotFound)

	// Ending this very session signs out.
	rows, _ = sessionRows(t, a.get("/sessions"))
	wantRedirect(t, a.post(rows[0].endURL, url.Values{"user": {rows[0].user}}), "/login?signed_out=1")
	if !sentToLogin(a.get("/tokens")) {
		t.Fatal("still signed in after ending this session")
	}
}

// cookie is the browser's session cookie value.
func (ts *testServer) cookie(t *testing.T) string {
	t.Helper()
	u, _ := url.Parse(ts.http.URL)
	for _, c := range ts.client.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			return c.Value
		}
	}
	return ""
}

// Sessions idle for longer than the idle limit are not listed: they no
// longer work.
func TestSessionsListOnlyLiveOnes(t *testing.T) {
	ts := newTestServer(t)
	old := browser(ts, firefoxWindows)
	old.signInAdmin()
	ts.clock.Advance(SessionIdle + time.Minute)
	ts.signInAdmin()
	if rows, _ := sessionRows(t, ts.get("/sessions")); len(rows) != 1 {
		t.Fatalf("listed: %+v", rows)
	}
}

// Administrators see and end anyone's sessions, from the user's page; app
// designers cannot see or end anyone else's.
func TestOthersSessions(t *testing.T) {
	w := newAppWorld(t)
	admin, err := w.store.UserByEmail(t.Context(), adminEmail)
	if err != nil {
		t.Fatal(err)
	}
	dee, _ := w.store.UserByEmail(t.Context(), deeEmail)

	// A designer: their own only.
	rows, _ := sessionRows(t, w.dee.get("/sessions"))
	if len(rows) != 1 || rows[0].user != itoa(dee.ID) {
		t.Fatalf("dee's sessions: %+v", rows)
	}
	wantStatus(t, w.dee.get("/sessions?user="+itoa(admin.ID)), http.StatusForbidden)
	adminRows, _ := sessionRows(t, w.get("/sessions"))
	w.dee.get("/sessions")
	wantStatus(t, w.dee.post(adminRows[0].endURL, url.Values{"user": {itoa(admin.ID)}}), http.StatusNotFound)
	w.dee.get("/sessions")
	wantStatus(t, w.dee.post(adminRows[0].endURL, url.Values{"user": {itoa(dee.ID)}}), http.StatusNotFound)
	wantStatus(t, w.get("/tokens"), http.StatusOK) // still signed in

	// An administrator: from the user's page to their sessions, and ends one.
	link, _ := w.get("/users/" + itoa(dee.ID)).Doc.Find("[data-testid=user-sessions]").Attr("href")
	if link != "/sessions?user="+itoa(dee.ID) {
		t.Fatalf("user page link %q", link)
	}
	p := w.get(link)
	if h := p.text("h1"); h != "Sessions of "+deeEmail {
		t.Fatalf("heading %q", h)
	}
	deeRows, current := sessionRows(t, p)
	if len(deeRows) != 1 || current != -1 {
		t.Fatalf("dee's sessions as the admin sees them: %+v (current %d)", deeRows, current)
	}
	// Ending another person's session asks first, with no script needed
	// (issue 18 item 20): End leads to a confirmation that names them.
	ask := w.post(deeRows[0].endURL, url.Values{"user": {deeRows[0].user}})
	wantStatus(t, ask, http.StatusOK)
	if h := ask.text("h1"); h != "End this session of "+deeEmail+"?" || ask.Doc.Find("[data-testid=confirm-end-session]").Length() != 1 {
		t.Fatalf("confirmation %q", h)
	}
	if sentToLogin(w.dee.get("/apps")) {
		t.Fatal("dee's session ended before the administrator confirmed")
	}
	confirm := url.Values{}
	ask.Doc.Find("[data-testid=end-session-confirm] form input").Each(func(_ int, in *goquery.Selection) {
		if n, _ := in.Attr("name"); n != "_csrf" {
			confirm.Set(n, in.AttrOr("value", ""))
		}
	})
	wantRedirect(t, w.post(deeRows[0].endURL, confirm), "/sessions?user="+itoa(dee.ID))
	if !sentToLogin(w.dee.get("/apps")) {
		t.Fatal("dee's ended session still works")
	}
	entries, _, err := w.store.ListAudit(t.Context(), 1, 5)
	if err != nil || entries[0].Action != "session.end" || entries[0].Subject != deeEmail || entries[0].Actor != adminEmail {
		t.Fatalf("audit: %+v %v", entries, err)
	}
	wantStatus(t, w.get("/sessions?user=98765"), http.StatusNotFound)
}

// xffTransport sends requests as a proxy would, naming the client.
type xffTransport struct{ client string }

func (x xffTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", x.client)
	r.Header.Set("User-Agent", chromeLinux)
	return http.DefaultTransport.RoundTrip(r)
}

// A session's address is the client's as sign-in throttling sees it:
// X-Forwarded-For only from a trusted proxy. Its last-seen time is written
// at most once a minute.
func TestSessionAddressAndLastSeen(t *testing.T) {
	for _, trusted := range []bool{false, true} {
		ts := newTestServer(t, withConfig(func(c *config.Config) {
			if trusted {
				_, n, _ := net.ParseCIDR("127.0.0.0/8")
				c.TrustedProxies = []*net.IPNet{n}
			}
		}))
		ts.client.Transport = xffTransport{"203.0.113.7"}
		ts.signInAdmin()
		rows, _ := sessionRows(t, ts.get("/sessions"))
		want := "127.0.0.1"
		if trusted {
			want = "203.0.113.7"
		}
		if len(rows) != 1 || rows[0].address != want {
			t.Fatalf("trusted proxy %v: address %+v, want %s", trusted, rows, want)
		}
	}

	ts := newTestServer(t)
	ts.signInAdmin()
	admin, _ := ts.store.UserByEmail(t.Context(), adminEmail)
	lastSeen := func() time.Time {
		t.Helper()
		list, err := ts.store.UserSessions(t.Context(), admin.ID, time.Time{}, time.Time{})
		if err != nil || len(list) != 1 {
			t.Fatalf("sessions %+v %v", list, err)
		}
		return list[0].LastSeenAt
	}
	signedIn := lastSeen()
	ts.clock.Advance(50 * time.Second)
	ts.get("/tokens")
	if !lastSeen().Equal(signedIn) {
		t.Fatal("last seen written again within the minute")
	}
	ts.clock.Advance(20 * time.Second)
	ts.get("/tokens")
	if got := lastSeen(); !got.Equal(ts.clock.Now()) {
		t.Fatalf("last seen %v after a minute, want %v", got, ts.clock.Now())
	}
}
