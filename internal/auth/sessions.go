package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/sessions"
	"github.com/tokendesk/tokendesk/internal/store"
)

// UserIDKey is the session value holding the signed-in user's id.
const UserIDKey = "user_id"

// SessionBackend persists sessions; *store.Store implements it.
type SessionBackend interface {
	CreateSession(ctx context.Context, sess store.Session, ip, userAgent string) error
	SessionByHash(ctx context.Context, idHash string) (store.Session, error)
	UpdateSession(ctx context.Context, idHash, data string, lastSeen time.Time) error
	DeleteSession(ctx context.Context, idHash string) error
}

// SessionStore is a gorilla/sessions Store that keeps sessions in the
// database and only a random identifier in the cookie, so that logging out
// (or an administrator's "sign out everywhere") really ends a session.
type SessionStore struct {
	Backend SessionBackend
	Options sessions.Options
	// Idle ends a session not used for this long; Absolute ends any session
	// this long after sign-in.
	Idle     time.Duration
	Absolute time.Duration
	Now      func() time.Time
	// ClientIP is the address a session is shown to come from (nil: the
	// connection's); the server passes its trusted-proxy rules.
	ClientIP func(*http.Request) string
}

// touchEvery limits last-seen writes to one a minute per session.
const touchEvery = time.Minute

// Get returns the request's session, cached for the request.
func (s *SessionStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(s, name)
}

// New loads the session named by the request's cookie, or returns a new,
// empty one when there is none or it has ended.
func (s *SessionStore) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(s, name)
	opts := s.Options
	sess.Options = &opts
	sess.IsNew = true

	c, err := r.Cookie(name)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return sess, nil
	}
	hash := HashSessionID(c.Value)
	row, err := s.Backend.SessionByHash(r.Context(), hash)
	if errors.Is(err, store.ErrNotFound) {
		return sess, nil
	}
	if err != nil {
		return sess, err
	}
	now := s.Now()
	if now.Sub(row.LastSeenAt) > s.Idle || now.Sub(row.CreatedAt) > s.Absolute {
		return sess, s.Backend.DeleteSession(r.Context(), hash)
	}
	values := map[string]any{}
	if row.Data != "" {
		if err := json.Unmarshal([]byte(row.Data), &values); err != nil {
			return sess, fmt.Errorf("auth: session data: %w", err)
		}
	}
	for k, v := range values {
		sess.Values[k] = v
	}
	sess.Values[UserIDKey] = row.UserID
	sess.ID = c.Value
	sess.IsNew = false
	if now.Sub(row.LastSeenAt) >= touchEvery {
		if err := s.Backend.UpdateSession(r.Context(), hash, row.Data, now); err != nil {
			return sess, err
		}
	}
	return sess, nil
}

// Save persists the session and sets (or, for MaxAge < 0, clears) its
// cookie. A session without a signed-in user is never stored.
func (s *SessionStore) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	if sess.Options.MaxAge < 0 {
		if sess.ID != "" {
			if err := s.Backend.DeleteSession(r.Context(), HashSessionID(sess.ID)); err != nil {
				return err
			}
		}
		http.SetCookie(w, sessions.NewCookie(sess.Name(), "", sess.Options))
		return nil
	}
	userID, ok := sess.Values[UserIDKey].(int64)
	if !ok || userID == 0 {
		return nil
	}
	data, err := encodeValues(sess.Values)
	if err != nil {
		return err
	}
	now := s.Now()
	if sess.ID == "" {
		sess.ID = newSessionID()
		row := store.Session{IDHash: HashSessionID(sess.ID), UserID: userID, Data: data, CreatedAt: now, LastSeenAt: now}
		ip := clientIP(r)
		if s.ClientIP != nil {
			ip = s.ClientIP(r)
		}
		if err := s.Backend.CreateSession(r.Context(), row, ip, r.UserAgent()); err != nil {
			return err
		}
	} else if err := s.Backend.UpdateSession(r.Context(), HashSessionID(sess.ID), data, now); err != nil {
		return err
	}
	http.SetCookie(w, sessions.NewCookie(sess.Name(), sess.ID, sess.Options))
	return nil
}

func encodeValues(values map[any]any) (string, error) {
	m := make(map[string]any, len(values))
	for k, v := range values {
		ks, ok := k.(string)
		if !ok || ks == UserIDKey {
			continue
		}
		m[ks] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("auth: encoding session: %w", err)
	}
	return string(b), nil
}

// HashSessionID is how a session id is stored: a database copy does not
// yield cookies that work.
func HashSessionID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

func newSessionID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	for i := len(host) - 1; i >= 0; i-- {
		if host[i] == ':' {
			return host[:i]
		}
	}
	return host
}
