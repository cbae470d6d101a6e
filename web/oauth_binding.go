package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/url"
	"strings"

	"github.com/tokendesk/tokendesk/internal/store"
)

// consentStillForToken reports whether the token a consent trip left for is still that token:
// same id, same list, same kind and the same random consent key. A token
// removed meanwhile fails, and so would any token created after it, even
// one given the same id (SQLite handed the newest id out again before
// migration 00018; issue 18.1).
func (s *Server) consentStillForToken(ctx context.Context, st store.OAuthState, draft consentDraft) (bool, error) {
	b, err := s.Store.TokenBindingByID(ctx, st.TokenID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return draft.TokenKey != "" && b.AppID == st.AppID && b.Provider == st.Provider &&
		subtle.ConstantTimeCompare([]byte(b.Key), []byte(draft.TokenKey)) == 1, nil
}

// issuerMatches checks an authorization response's iss (RFC 9207) against
// the authorization endpoint the browser was sent to. tokendesk keeps no
// server metadata, so the issuer expected is the one RFC 8414 implies for
// that endpoint: the same scheme and host (and port), and a path that is
// the endpoint's own or a leading part of it ("https://idp.example/realms/x"
// for "https://idp.example/realms/x/protocol/openid-connect/auth";
// "https://accounts.google.com" for its /o/oauth2/v2/auth). An issuer has
// no query or fragment. A service that sends no iss is not checked.
func issuerMatches(iss, endpoint string) bool {
	i, err := url.Parse(iss)
	if err != nil || endpoint == "" || i.RawQuery != "" || i.Fragment != "" || i.User != nil || i.Opaque != "" {
		return false
	}
	e, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	if !strings.EqualFold(i.Scheme, e.Scheme) || (i.Scheme != "https" && i.Scheme != "http") || !sameHost(i, e) {
		return false
	}
	ip := strings.TrimSuffix(i.EscapedPath(), "/")
	ep := e.EscapedPath()
	return ip == "" || ep == ip || strings.HasPrefix(ep, ip+"/")
}

// sameHost compares hosts case-insensitively, a default port written or not.
func sameHost(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if strings.EqualFold(u.Scheme, "https") {
			return "443"
		}
		return "80"
	}
	return strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}
