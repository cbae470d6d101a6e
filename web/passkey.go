package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/labstack/echo/v4"
	"github.com/tokendesk/tokendesk/internal/store"
)

// Passkeys (WebAuthn) through go-webauthn: the ceremonies' checks
// (challenge, origin, signature, counters) are the library's; tokendesk
// keeps each credential sealed as a second factor (kind passkey).

// sessWebAuthn holds the ceremony under way (its challenge) in the
// server-side session, never in the browser.
const sessWebAuthn = "webauthn"

// webAuthn is the relying party of TOKENDESK_BASE_URL: passkeys are bound
// to its host name, and only its origin may use them.
func (s *Server) webAuthn() (*webauthn.WebAuthn, error) {
	base := s.Config.BaseURL
	host := base.Hostname()
	if net.ParseIP(host) != nil {
		return nil, userError(http.StatusConflict,
			"Passkeys need TOKENDESK_BASE_URL with a host name (such as localhost or console.example.com), not an IP address.")
	}
	return webauthn.New(&webauthn.Config{RPID: host, RPDisplayName: "tokendesk", RPOrigins: []string{base.Scheme + "://" + base.Host}})
}

// passkeyUser is a person as go-webauthn sees them, with their passkeys
// opened from the store and the factor each came from.
type passkeyUser struct {
	u       store.User
	creds   []webauthn.Credential
	factors map[string]int64 // credential id → factor id
}

func (p *passkeyUser) WebAuthnID() []byte                         { return []byte(strconv.FormatInt(p.u.ID, 10)) }
func (p *passkeyUser) WebAuthnName() string                       { return p.u.Email }
func (p *passkeyUser) WebAuthnDisplayName() string                { return p.u.Email }
func (p *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return p.creds }

func (s *Server) loadPasskeyUser(ctx context.Context, u store.User) (*passkeyUser, error) {
	p := &passkeyUser{u: u, factors: map[string]int64{}}
	factors, err := s.Store.Factors(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	for _, f := range factors {
		if f.Kind != store.FactorPasskey || !f.Confirmed {
			continue
		}
		raw, err := s.Store.FactorSecret(ctx, u.ID, f.ID)
		if err != nil {
			return nil, err
		}
		var cred webauthn.Credential
		if err := json.Unmarshal(raw, &cred); err != nil {
			return nil, fmt.Errorf("passkey %d: %w", f.ID, err)
		}
		p.creds = append(p.creds, cred)
		p.factors[string(cred.ID)] = f.ID
	}
	return p, nil
}

// saveCeremony keeps a ceremony's data in the session until it finishes.
func (s *Server) saveCeremony(c echo.Context, sd *webauthn.SessionData) error {
	b, err := json.Marshal(sd)
	if err != nil {
		return err
	}
	sess := currentSession(c)
	sess.Values[sessWebAuthn] = string(b)
	return sess.Save(c.Request(), c.Response())
}

// takeCeremony reads and forgets the ceremony under way: each challenge
// is answered once.
func (s *Server) takeCeremony(c echo.Context) (webauthn.SessionData, bool, error) {
	var sd webauthn.SessionData
	sess := currentSession(c)
	raw, _ := sess.Values[sessWebAuthn].(string)
	if raw == "" {
		return sd, false, nil
	}
	delete(sess.Values, sessWebAuthn)
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return sd, false, err
	}
	return sd, json.Unmarshal([]byte(raw), &sd) == nil, nil
}

// jsonRefusal answers a script's request with a message for the person.
func jsonRefusal(c echo.Context, status int, msg string) error {
	return c.JSON(status, map[string]string{"error": msg})
}
