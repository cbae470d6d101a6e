package oauthtest

import (
	"io"
	"net/http"
	"strings"
)

// userinfo is GET /userinfo (and /me): a protected resource that answers a
// small JSON user for a valid bearer token (RFC 6750).
func (s *Server) userinfo(w http.ResponseWriter, r *http.Request, fault Fault) {
	if r.Method != http.MethodGet && !(r.Method == http.MethodPost && r.URL.Path == "/2/users/get_current_account") {
		w.Header().Set("Allow", http.MethodGet)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "invalid_request"})
		return
	}
	auth := r.Header.Get("Authorization")
	scheme, bearer, _ := strings.Cut(auth, " ")
	if auth == "" || !strings.EqualFold(scheme, "Bearer") {
		// §3.1: a request without credentials gets no error code.
		w.Header().Set("WWW-Authenticate", `Bearer realm="oauthtest"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_request", "error_description": "A bearer token is required."})
		return
	}
	s.mu.Lock()
	t, ok := s.access[strings.TrimSpace(bearer)]
	now := s.opts.Clock()
	user := s.opts.User
	problem := ""
	switch {
	case !ok:
		problem = "The access token is not valid."
	case t.grant.revoked:
		problem = "The access token was revoked."
	case !now.Before(t.expires):
		problem = "The access token expired."
	}
	s.mu.Unlock()
	if problem != "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="oauthtest", error="invalid_token", error_description="`+problem+`"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": problem})
		return
	}
	if fault == Malformed {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"sub":`)
		return
	}
	answer, _ := s.whoAmIShape(r.URL.Path, user, t.grant.clientID, t.scope)
	writeJSON(w, http.StatusOK, answer)
}
