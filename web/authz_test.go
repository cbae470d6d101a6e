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
// answer. Each route gets a fresh world so that one role's allowed change
// cannot hide another's refusal.
func TestAuthorizationMatrix(t *testing.T) {
	probe := newTestServer(t)
	roles := []string{"anonymous", "administrator", "designer of the app", "designer of another app"}
	for _, r := range probe.srv.Routes() {
		if PublicRoutes[r.Method+" "+r.Path] {
			continue
		}
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			t.Parallel() // each route's world is its own server and database
			w := newAppWorld(t)
			w.get("/settings")
			w.post("/settings", url.Values{"allow_delete": {"on"}})
			globalID := saveRedox(t, w.testServer, "/tokens", "Global")
			appTokenID := saveRedox(t, w.dee, "/apps/"+itoa(w.alpha)+"/tokens", "Alpha Token")
			createClient(t, w.testServer, "/clients", "Global job")
			createClient(t, w.dee, "/apps/"+itoa(w.alpha)+"/clients", "Alpha job")
			globalClients, _ := w.store.ListClients(t.Context(), 0)
			appClients, _ := w.store.ListClients(t.Context(), w.alpha)
			zed := w.addUser("zed@example.com", "zed long password", store.RoleDesigner)

			id, client := globalID, globalClients[0].ID
			if strings.HasPrefix(r.Path, "/apps/:app") {
				id, client = appTokenID, appClients[0].ID
			}
			if strings.HasPrefix(r.Path, "/users/:id") {
				id = zed.ID
			}
			if strings.HasPrefix(r.Path, "/settings/webhooks/:id") {
				id, _ = w.store.CreateWebhook(t.Context(), "https://hooks.example.com/matrix", []string{store.EventTokenChanged}, "whsec_bWF0cml4", adminEmail)
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
