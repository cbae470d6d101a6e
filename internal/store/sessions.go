package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Session is a signed-in browser. IDHash is the SHA-256 of the cookie value:
// a copy of the database does not hand out live sessions.
type Session struct {
	IDHash     string
	UserID     int64
	Data       string // JSON-encoded session values (flash messages)
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// CreateSession records a new session.
func (s *Store) CreateSession(ctx context.Context, sess Session, ip, userAgent string) error {
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO sessions (id_hash, user_id, data, created_at, last_seen_at, ip, user_agent)
		 VALUES (?, ?, ?, ?, ?, ?, ?)`,
		sess.IDHash, sess.UserID, sess.Data, ms(sess.CreatedAt), ms(sess.LastSeenAt), ip, truncate(userAgent, 300))
	if err != nil {
		return fmt.Errorf("store: creating session: %w", err)
	}
	return nil
}

// SessionByHash loads a session.
func (s *Store) SessionByHash(ctx context.Context, idHash string) (Session, error) {
	var sess Session
	var created, seen int64
	err := s.queryRow(ctx,
		"SELECT id_hash, user_id, data, created_at, last_seen_at FROM sessions WHERE id_hash = ?", idHash).
		Scan(&sess.IDHash, &sess.UserID, &sess.Data, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("store: session: %w", err)
	}
	sess.CreatedAt, sess.LastSeenAt = fromMS(created), fromMS(seen)
	return sess, nil
}

// UpdateSession saves a session's data and last-seen time.
func (s *Store) UpdateSession(ctx context.Context, idHash, data string, lastSeen time.Time) error {
	_, err := s.write.ExecContext(ctx,
		"UPDATE sessions SET data = ?, last_seen_at = ? WHERE id_hash = ?", data, ms(lastSeen), idHash)
	if err != nil {
		return fmt.Errorf("store: updating session: %w", err)
	}
	return nil
}

// DeleteSession revokes one session.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := s.write.ExecContext(ctx, "DELETE FROM sessions WHERE id_hash = ?", idHash); err != nil {
		return fmt.Errorf("store: deleting session: %w", err)
	}
	return nil
}

// DeleteUserSessions signs a user out everywhere and reports how many
// sessions ended.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) (int64, error) {
	res, err := s.write.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ?", userID)
	if err != nil {
		return 0, fmt.Errorf("store: deleting sessions: %w", err)
	}
	return res.RowsAffected()
}

// DeleteIdleSessions removes sessions last seen before cutoff.
func (s *Store) DeleteIdleSessions(ctx context.Context, cutoff time.Time) error {
	if _, err := s.write.ExecContext(ctx, idleSessionsQuery, ms(cutoff)); err != nil {
		return fmt.Errorf("store: expiring sessions: %w", err)
	}
	return nil
}

// SessionInfo is a session as its owner and administrators see it.
type SessionInfo struct {
	// Ref names the session in pages and URLs (SessionRef).
	Ref        string
	UserID     int64
	IP         string // where it signed in from
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time // kept to the minute (auth.SessionStore)
}

// SessionRef names a session in pages and URLs. It is derived from the
// stored hash, which never leaves the database: a reference opens nothing,
// not even by looking the session up.
func SessionRef(idHash string) string {
	sum := sha256.Sum256([]byte("tokendesk session ref\x00" + idHash))
	return hex.EncodeToString(sum[:12])
}

// userSessionsQuery reads a user's live sessions in order from
// sessions_user_seen (migration 00019), without sorting them.
const userSessionsQuery = `
		SELECT id_hash, user_id, ip, user_agent, created_at, last_seen_at FROM sessions
		WHERE user_id = ? AND last_seen_at >= ? AND created_at >= ?
		ORDER BY last_seen_at DESC, created_at DESC`

// idleSessionsQuery finds the sessions gone idle through sessions_last_seen
// (migration 00019) rather than reading every session.
const idleSessionsQuery = "DELETE FROM sessions WHERE last_seen_at < ?"

// UserSessions lists a user's sessions still alive, last seen first: those
// seen at or after idleSince and created at or after createdSince.
func (s *Store) UserSessions(ctx context.Context, userID int64, idleSince, createdSince time.Time) ([]SessionInfo, error) {
	rows, err := s.read.QueryContext(ctx, userSessionsQuery, userID, ms(idleSince), ms(createdSince))
	if err != nil {
		return nil, fmt.Errorf("store: sessions: %w", err)
	}
	defer rows.Close()
	var out []SessionInfo
	for rows.Next() {
		var si SessionInfo
		var hash string
		var created, seen int64
		if err := rows.Scan(&hash, &si.UserID, &si.IP, &si.UserAgent, &created, &seen); err != nil {
			return nil, fmt.Errorf("store: sessions: %w", err)
		}
		si.Ref, si.CreatedAt, si.LastSeenAt = SessionRef(hash), fromMS(created), fromMS(seen)
		out = append(out, si)
	}
	return out, rows.Err()
}

// EndSession ends the session ref of user userID: ErrNotFound when that
// user has no such session (it ended already, or it is someone else's).
func (s *Store) EndSession(ctx context.Context, userID int64, ref string) error {
	rows, err := s.read.QueryContext(ctx, "SELECT id_hash FROM sessions WHERE user_id = ?", userID)
	if err != nil {
		return fmt.Errorf("store: ending session: %w", err)
	}
	var hash string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return fmt.Errorf("store: ending session: %w", err)
		}
		if SessionRef(h) == ref {
			hash = h
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: ending session: %w", err)
	}
	if hash == "" {
		return ErrNotFound
	}
	res, err := s.write.ExecContext(ctx, "DELETE FROM sessions WHERE id_hash = ? AND user_id = ?", hash, userID)
	if err != nil {
		return fmt.Errorf("store: ending session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
