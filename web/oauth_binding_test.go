package web

import (
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
)

// The attack of issue 18.1: a designer keeps the state of a Reconnect for
// their own newest token, removes the token, waits for an administrator
// to create a global token, and then finishes the trip. Before the fix the
// global token took the id the removed one had (SQLite reused it) and the
// callback saved the designer's grant into it. Now the trip is bound to
// the token itself, and ids are never handed out twice.
func TestOAuthReconnectOfARemovedTokenCannotWriteIntoANewGlobalToken(t *testing.T) {
	w := newAppWorld(t)
	emu := startOAuth(t, w.testServer, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	base := "/apps/" + itoa(w.alpha) + "/tokens"

	// Dee's token, on "Dee's server", is the newest token there is.
	w.dee.get(base + "/new/oauth2")
	f := oauthForm("Dee Drive", emu, "authorization_code", oauthtest.ClientSecretBasic)
	_, _, p := consent(t, w.dee, base+"/new/oauth2", f)
	pend, _ := p.Doc.Find("input[name=pending]").Attr("value")
	f.Set("client_secret", "")
	f.Set("pending", pend)
	wantRedirect(t, w.dee.post(base+"/new/oauth2", f), base)
	var deeID int64
	w.dee.get(base).Doc.Find("[data-testid=token-row] input[name=id]").Each(func(_ int, s *goquery.Selection) {
		v, _ := s.Attr("value")
		deeID = mustAtoi(t, v)
	})

	// Reconnect; the designer keeps where the service sends the browser back.
	w.dee.get(base + "/" + itoa(deeID))
	back := browse(t, consentURL(t, w.dee.post(base+"/"+itoa(deeID)+"/reconnect", nil)))
	wantRedirect(t, w.dee.post(base+"/remove", url.Values{"id": {itoa(deeID)}}), base)

	// An administrator creates a global token.
	globalID := connect(t, w.testServer, emu, "Payroll", "1h")
	if globalID == deeID {
		t.Fatalf("the new global token was given the removed token's id %d", deeID)
	}
	before, _ := w.store.TokenValues(t.Context(), globalID)

	cb := w.dee.get(back.Path + "?" + back.RawQuery)
	if cb.StatusCode != http.StatusBadRequest || !strings.Contains(cb.Doc.Text(), "Nothing was changed") {
		t.Fatalf("callback for a removed token: %d %s", cb.StatusCode, excerpt(cb.Doc.Text()))
	}
	after, _ := w.store.TokenValues(t.Context(), globalID)
	if after["access_token"] != before["access_token"] || after["refresh_token"] != before["refresh_token"] {
		t.Fatal("a designer's grant was written into a global token")
	}
}

// Even where an id is the same (ids reused, as SQLite did before
// migration 00018), the trip saves only onto the token whose own random
// key it carries: a token in the trip's token's place has another. The
// test makes such a token by giving the row another key behind the
// store's back (its sealed values are bound to its id, so moving another
// token's row to this id would not make a usable token).
func TestOAuthReconnectSavesOnlyOntoTheTokenItStartedFor(t *testing.T) {
	sqliteFileOnly(t)
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	id := connect(t, ts, emu, "Team Drive", "1h")
	ts.get("/tokens/" + itoa(id))
	back := browse(t, consentURL(t, ts.post("/tokens/"+itoa(id)+"/reconnect", nil)))

	db, err := sql.Open("sqlite", ts.dbURL+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), "UPDATE tokens SET consent_key = lower(hex(randomblob(16))) WHERE id = ?", id); err != nil {
		t.Fatal(err)
	}
	before, _ := ts.store.TokenValues(t.Context(), id)

	cb := ts.get(back.Path + "?" + back.RawQuery)
	wantStatus(t, cb, http.StatusBadRequest)
	after, _ := ts.store.TokenValues(t.Context(), id)
	if after["access_token"] == "" || after["access_token"] != before["access_token"] {
		t.Fatal("a trip saved onto a token it did not start for")
	}
}

// The consent state belongs to the session that started the trip: the
// same person's other session (another browser, a session stolen or
// fixed by someone else) gets a 400 that changes nothing, and the state
// still completes in its own session.
func TestOAuthCallbackIsBoundToTheSessionThatStartedIt(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	id := connect(t, ts, emu, "Team Drive", "1h")
	before, _ := ts.store.TokenValues(t.Context(), id)
	ts.get("/tokens/" + itoa(id))
	back := browse(t, consentURL(t, ts.post("/tokens/"+itoa(id)+"/reconnect", nil)))

	other := newTestServerClient(ts)
	other.signInAdmin()
	cb := other.get(back.Path + "?" + back.RawQuery)
	if cb.StatusCode != http.StatusBadRequest || !strings.Contains(cb.Doc.Text(), "Nothing was changed") {
		t.Fatalf("callback in another session: %d %s", cb.StatusCode, excerpt(cb.Doc.Text()))
	}
	if after, _ := ts.store.TokenValues(t.Context(), id); after["access_token"] != before["access_token"] {
		t.Fatal("another session's callback saved a grant")
	}
	wantRedirect(t, ts.get(back.Path+"?"+back.RawQuery), "/tokens/"+itoa(id))
	if after, _ := ts.store.TokenValues(t.Context(), id); after["access_token"] == before["access_token"] {
		t.Fatal("the session that started the trip could not complete it")
	}
}

// RFC 9207: a service that names itself with iss must name the server the
// browser was sent to; another issuer (a mix-up) is a 400 that exchanges
// nothing. The emulator names none, so the test adds it as such a server
// would.
func TestOAuthCallbackChecksTheIssuer(t *testing.T) {
	ts := newTestServer(t)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	id := connect(t, ts, emu, "Team Drive", "1h")
	before, _ := ts.store.TokenValues(t.Context(), id)
	exchanges := emu.Issued()

	trip := func(iss string) page {
		ts.get("/tokens/" + itoa(id))
		back := browse(t, consentURL(t, ts.post("/tokens/"+itoa(id)+"/reconnect", nil)))
		q := back.Query()
		q.Set("iss", iss)
		return ts.get(back.Path + "?" + q.Encode())
	}
	au, _ := url.Parse(emu.AuthURL())
	for _, bad := range []string{"https://attacker.example", au.Scheme + "://" + au.Host + "/other", au.Scheme + "://" + au.Host + "?x=1", "not a url"} {
		p := trip(bad)
		if p.StatusCode != http.StatusBadRequest || !strings.Contains(p.Doc.Text(), "issuer does not match") {
			t.Fatalf("iss %q: %d %s", bad, p.StatusCode, excerpt(p.Doc.Text()))
		}
	}
	if after, _ := ts.store.TokenValues(t.Context(), id); after["access_token"] != before["access_token"] || emu.Issued() != exchanges {
		t.Fatal("a mixed-up answer's code was exchanged")
	}
	wantRedirect(t, trip(au.Scheme+"://"+au.Host), "/tokens/"+itoa(id))
	if after, _ := ts.store.TokenValues(t.Context(), id); after["access_token"] == before["access_token"] {
		t.Fatal("the right issuer was refused")
	}
}

func TestIssuerMatches(t *testing.T) {
	for _, c := range []struct {
		iss, endpoint string
		want          bool
	}{
		{"https://accounts.google.com", "https://accounts.google.com/o/oauth2/v2/auth", true},
		{"https://accounts.google.com/", "https://accounts.google.com/o/oauth2/v2/auth", true},
		{"https://ACCOUNTS.google.com:443", "https://accounts.google.com/o/oauth2/v2/auth", true},
		{"https://idp.example/realms/x", "https://idp.example/realms/x/protocol/openid-connect/auth", true},
		{"https://idp.example/realms/y", "https://idp.example/realms/x/protocol/openid-connect/auth", false},
		{"https://idp.example/realms/x2", "https://idp.example/realms/x/auth", false},
		{"http://accounts.google.com", "https://accounts.google.com/o/oauth2/v2/auth", false},
		{"https://accounts.google.com:8443", "https://accounts.google.com/o/oauth2/v2/auth", false},
		{"https://evil.example", "https://accounts.google.com/o/oauth2/v2/auth", false},
		{"https://accounts.google.com#x", "https://accounts.google.com/o/oauth2/v2/auth", false},
		{"https://accounts.google.com", "", false},
	} {
		if got := issuerMatches(c.iss, c.endpoint); got != c.want {
			t.Errorf("issuerMatches(%q, %q) = %v", c.iss, c.endpoint, got)
		}
	}
}
