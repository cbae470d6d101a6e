package store

import (
	"context"
	"database/sql"
	"fmt"
)

// A write transaction knows which changes it logged: it holds the change
// log's lock (SQLite's write lock; on PostgreSQL the advisory lock of
// lockChangeLog) from its first statement to its commit, so every change
// after the newest one at its start is its own. The store hands them,
// once committed, to whoever follows this process's commits (the runtime
// API's index): they apply them at once, without reading the log back,
// so a database that goes away right after a commit cannot keep them
// from answering with what they hold.

// Committed is a function told of the changes each write transaction of
// this Store committed, before the write returns to its caller. The
// changes carry the token's name and scope as the transaction left them
// (Gone when it deleted the token).
type Committed func([]ChangeLogEntry)

// OnCommit adds fn to those told of this Store's commits.
func (s *Store) OnCommit(fn Committed) {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	old := s.committed.Load()
	var fns []Committed
	if old != nil {
		fns = append(fns, *old...)
	}
	fns = append(fns, fn)
	s.committed.Store(&fns)
}

// followed reports whether anyone follows the commits: only then does a
// transaction read back what it logged.
func (s *Store) followed() bool { return s.committed.Load() != nil }

// logStart is the newest change id when a transaction starts; the caller
// holds the change log's lock.
func logStart(ctx context.Context, tx *sql.Tx) (int64, error) {
	var id sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT max(id) FROM changes").Scan(&id); err != nil {
		return 0, fmt.Errorf("store: reading the change log: %w", err)
	}
	return id.Int64, nil
}

// loggedSince is what tx logged after id, with each token's name and
// scope as it stands in tx.
func loggedSince(ctx context.Context, tx *sql.Tx, after int64) ([]ChangeLogEntry, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT c.id, c.kind, coalesce(c.token_id, 0), t.id IS NULL, coalesce(t.app_id, 0), coalesce(t.name, '')
		FROM changes c LEFT JOIN tokens t ON t.id = c.token_id
		WHERE c.id > ? ORDER BY c.id`, after)
	if err != nil {
		return nil, fmt.Errorf("store: reading the change log: %w", err)
	}
	defer rows.Close()
	var out []ChangeLogEntry
	for rows.Next() {
		var c ChangeLogEntry
		if err := rows.Scan(&c.ID, &c.Kind, &c.TokenID, &c.Gone, &c.AppID, &c.Name); err != nil {
			return nil, fmt.Errorf("store: reading the change log: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// tell hands committed changes to those following the commits.
func (s *Store) tell(changes []ChangeLogEntry) {
	if len(changes) == 0 {
		return
	}
	if fns := s.committed.Load(); fns != nil {
		for _, fn := range *fns {
			fn(changes)
		}
	}
}
