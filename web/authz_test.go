package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/store"
)

// access is what a role gets from a route.
type access string

const (
	allowed      access = "allowed"       // anything but the refusals below
	toLogin      access = "303 to /login" // anonymous page requests
	unauthorized access = "401"           // anonymous unsafe requests
	forbidden    access = "403"           // signed in, wrong role
	notFound     access = "404"           // another app's things: as if absent
)

// expectedAccess is the authorization policy, route by route, for
// {anonymous, administrator, designer of the app, designer of another app}.
func expectedAccess(method, path string) [4]access {
	anon := toLogin
	if isUnsafe(method) {
		anon = unauthorized
	}
	adminOnly := func() [4]access { return [4]access{anon, allowed, forbidden, forbidden} }
	if rest, ok := strings.CutSuffix(path, "/certificate.cer"); ok {
		// The matrix's tokens are Redox's, which have no certificate: whoever
		// may open the token is told so (404), the others are refused as for
		// the token itself.
		want := expectedAccess(method, rest)
		for i, a := range want {
			if a == allowed {
				want[i] = notFound
			}
		}
		return want
	}
	switch {
	case path == "/" || path == "/logout" || path == "/apps" || path == "/sessions",
		// Any signed-in person may come back from a consent page; the
		// state says whose trip it was and the form checks the scope.
		path == "/oauth/callback":
		return [4]access{anon, allowed, allowed, allowed}
	case path == "/sessions/:session/end":
		// No session has that reference; ending real ones, one's own and
		// others', is tested in session_test.go.
		return [4]access{anon, notFound, notFound, notFound}
	case path == "/account/totp/confirm" || path == "/account/factors/:id/remove":
		// Nothing is waiting to be confirmed and no factor has that id:
		// one's own factors are tested in account_test.go.
		return [4]access{anon, notFound, notFound, notFound}
	case strings.HasPrefix(path, "/account"):
		// Your account: each signed-in person's own password and factors.
		return [4]access{anon, allowed, allowed, allowed}
	case path == "/apps/new",
		path == "/apps/:app" && method == http.MethodPost,
		strings.HasPrefix(path, "/apps/:app/delete"):
		return adminOnly()
	case strings.HasPrefix(path, "/apps/:app"):
		return [4]access{anon, allowed, allowed, notFound}
	}
	return adminOnly()
}

func classify(p page) access {
	switch {
	case p.StatusCode == http.StatusSeeOther && sentToLogin(p):
		return toLogin
	case p.StatusCode == http.StatusUnauthorized:
		return unauthorized
	case p.StatusCode == http.StatusForbidden:
		return forbidden
	case p.StatusCode == http.StatusNotFound:
		return notFound
	}
	return allowed
}

// Every route in the route table × every role, each with its expected
// answer. Each unsafe route gets a fresh world so that one role's allowed
// change cannot hide another's refusal; the safe ones change nothing a
// role's access depends on and share one (a world is most of the test's
// time), each subtest with its own copy of the browsers.
func TestAuthorizationMatrix(t *testing.T) {
	shared := newMatrixWorld(t, true)
	roles := []string{"anonymous", "administrator", "designer of the app", "designer of another app"}
	for _, r := range shared.srv.Routes() {
		if PublicRoutes[r.Method+" "+r.Path] {
			continue
		}
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			t.Parallel() // each unsafe route's world is its own server and database
			w := shared.forTest(t)
			if isUnsafe(r.Method) {
				w = newMatrixWorld(t, strings.HasPrefix(r.Path, "/settings/webhooks/:id"))
			}
			id, client := w.globalID, w.globalClient
			if strings.HasPrefix(r.Path, "/apps/:app") {
				id, client = w.appTokenID, w.appClient
			}
			if strings.HasPrefix(r.Path, "/users/:id") {
				id = w.zed
			}
			if strings.HasPrefix(r.Path, "/settings/webhooks/:id") {
				id = w.webhook
			}
			path := strings.NewReplacer(":app", itoa(w.alpha), ":provider", "redox", ":client", itoa(client), ":id", itoa(id)).Replace(r.Path)

			anon := newTestServerClient(w.testServer)
			anon.get("/login")
			browsers := []*testServer{anon, w.testServer, w.dee, w.eve}
			want := expectedAccess(r.Method, r.Path)
			for i, b := range browsers {
				var p page
				if isUnsafe(r.Method) {
					b.last = nil
					form := url.Values{"name": {"Matrix"}, "kind": {"process"}, "role": {"designer"}, "active": {"on"}, "version": {"1"}, "id": {itoa(id)}}
					p = b.post(path, form)
				} else {
					p = b.get(path)
				}
				if got := classify(p); got != want[i] {
					t.Errorf("%s: got %s (status %d), want %s", roles[i], got, p.StatusCode, want[i])
				}
			}
		})
	}
}

// matrixWorld is an app world with one of everything a route can name:
// a global and an app token, a client of each, a designer to open, and
// (withWebhook) a webhook.
type matrixWorld struct {
	*appWorld
	globalID, appTokenID    int64
	globalClient, appClient int64
	zed, webhook            int64
}

func newMatrixWorld(t *testing.T, withWebhook bool) *matrixWorld {
	t.Helper()
	w := &matrixWorld{appWorld: newAppWorld(t)}
	w.get("/settings")
	w.post("/settings", url.Values{"allow_delete": {"on"}})
	w.globalID = saveRedox(t, w.testServer, "/tokens", "Global")
	w.appTokenID = saveRedox(t, w.dee, "/apps/"+itoa(w.alpha)+"/tokens", "Alpha Token")
	createClient(t, w.testServer, "/clients", "Global job")
	createClient(t, w.dee, "/apps/"+itoa(w.alpha)+"/clients", "Alpha job")
	globalClients, _ := w.store.ListClients(t.Context(), 0)
	appClients, _ := w.store.ListClients(t.Context(), w.alpha)
	w.globalClient, w.appClient = globalClients[0].ID, appClients[0].ID
	w.zed = w.addUser("zed@example.com", "zed long password", store.RoleDesigner).ID
	if withWebhook {
		w.webhook, _ = w.store.CreateWebhook(t.Context(), "https://hooks.example.com/matrix", []string{store.EventTokenChanged}, "whsec_bWF0cml4", adminEmail)
	}
	return w
}

// forTest is the world as subtest t uses it: the same server, database
// and signed-in sessions, with browsers of t's own (each remembers the
// last page it fetched, and fails t, not the test that made the world).
func (w *matrixWorld) forTest(t *testing.T) *matrixWorld {
	c := *w
	aw := *w.appWorld
	c.appWorld = &aw
	aw.testServer, aw.dee, aw.eve = w.testServer.forTest(t), w.dee.forTest(t), w.eve.forTest(t)
	return &c
}
