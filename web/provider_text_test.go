package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
)

// A service that echoes what it was sent must not show the token's
// secrets on the form (issue 18.8): Zoom's scope text, an OAuth 2.0
// error_description, and a consent refusal's error_description that
// comes back in the browser's URL.
func TestProviderTextNeverShowsTheTokensSecrets(t *testing.T) {
	t.Run("Zoom scope", func(t *testing.T) {
		ts := newTestServer(t)
		ts.signInAdmin()
		ts.zoom.SetScopes(zoomClient, "meeting:read echo:"+zoomClientSecret)
		ts.get("/tokens/new/zoom-s2s")
		p := ts.post("/tokens/new/zoom-s2s", url.Values{"name": {"Meetings"}, "region": {"zoom"}, "account_id": {zoomAccount}, "client_id": {zoomClient},
			"client_secret": {zoomClientSecret}, "renewal_rate": {"1h"}, "action": {"get_token"}})
		s, steps := resultOf(p, "get_token")
		all := s + strings.Join(steps, " ")
		if !strings.Contains(all, "meeting:read") || !strings.Contains(all, "[redacted]") {
			t.Fatalf("scope step %q", steps)
		}
		noSecrets(t, "the form", p.Body, zoomClientSecret)
		noSecrets(t, "the log", ts.logs.String(), zoomClientSecret)
	})
	t.Run("OAuth error_description", func(t *testing.T) {
		ts := newTestServer(t)
		emu := startOAuth(t, ts, oauthtest.Options{}, oauthtest.ClientSecretBasic)
		ts.signInAdmin()
		echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			_, secret, _ := r.BasicAuth()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid_client","error_description":"client secret `+secret+` is not known"}`)
		}))
		defer echo.Close()
		s, p := getTokenWith(t, ts, emu, echo.URL+"/token")
		if !strings.Contains(s, "invalid_client") || !strings.Contains(s, "[redacted]") {
			t.Fatalf("result %q", s)
		}
		noSecrets(t, "the form", p.Body, oauthSecret)
		noSecrets(t, "the log", ts.logs.String(), oauthSecret)
	})
	t.Run("consent refusal", func(t *testing.T) {
		ts := newTestServer(t)
		emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
		ts.signInAdmin()
		ts.get("/tokens/new/oauth2")
		f := oauthForm("Drive", emu, "authorization_code", oauthtest.ClientSecretBasic)
		f.Set("action", "get_token")
		back := browse(t, consentURL(t, ts.post("/tokens/new/oauth2", f)))
		q := url.Values{"state": {back.Query().Get("state")}, "error": {"access_denied"}, "error_description": {"the secret " + oauthSecret + " was refused"}}
		cb := ts.get(back.Path + "?" + q.Encode())
		wantStatus(t, cb, http.StatusSeeOther)
		p := ts.get(cb.Header.Get("Location"))
		if s, _ := resultOf(p, "get_token"); !strings.Contains(s, "access_denied") || !strings.Contains(s, "[redacted]") {
			t.Fatalf("result %q", s)
		}
		noSecrets(t, "the form", p.Body, oauthSecret)
	})
}
