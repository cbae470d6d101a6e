package store

import (
	"context"
	"database/sql"
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
	if _, err := s.write.ExecContext(ctx, "DELETE FROM sessions WHERE last_seen_at < ?", ms(cutoff)); err != nil {
		return fmt.Errorf("store: expiring sessions: %w", err)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
