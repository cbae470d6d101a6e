package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ChangeLogEntry is one row of the change log (migration 00006): a write
// that can change an answer of the runtime API. Triggers write the log;
// every process reads it to keep its in-memory index current. (Not a
// token.Change, which is a write still to be made.)
type ChangeLogEntry struct {
	ID      int64
	Kind    string // ChangeValue, ChangeName or ChangeAll
	TokenID int64
	// Of a change this process committed (OnCommit), the token as the
	// transaction left it: its scope and name, or Gone. A change read
	// from the log has none of them.
	AppID int64
	Name  string
	Gone  bool
}

// Kinds of change, from the narrowest to the widest.
const (
	// ChangeValue: one token's values or expiry (its own answer only).
	ChangeValue = "value"
	// ChangeName: a token appeared, went, or changed name or scope, so
	// which token a name resolves to may have changed.
	ChangeName = "name"
	// ChangeAll: clients, permissions or apps.
	ChangeAll = "all"
)

// Writes counts the write transactions this Store has committed. A reader
// that remembers it can tell, with one atomic load, whether this process
// wrote since, and read the change log only then.
func (s *Store) Writes() uint64 { return s.writes.Load() }

// ChangesSince returns up to limit changes after id, oldest first.
func (s *Store) ChangesSince(ctx context.Context, after int64, limit int) ([]ChangeLogEntry, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT id, kind, ifnull(token_id, 0) FROM changes WHERE id > ? ORDER BY id LIMIT ?", after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: reading changes: %w", err)
	}
	defer rows.Close()
	var out []ChangeLogEntry
	for rows.Next() {
		var c ChangeLogEntry
		if err := rows.Scan(&c.ID, &c.Kind, &c.TokenID); err != nil {
			return nil, fmt.Errorf("store: reading changes: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// LatestChange is the id of the newest change (0 when there is none).
func (s *Store) LatestChange(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	if err := s.read.QueryRowContext(ctx, "SELECT max(id) FROM changes").Scan(&id); err != nil {
		return 0, fmt.Errorf("store: latest change: %w", err)
	}
	return id.Int64, nil
}

// PruneChanges forgets changes older than before, keeping the newest so
// that ids keep growing. Readers that fell that far behind start afresh.
func (s *Store) PruneChanges(ctx context.Context, before time.Time) error {
	_, err := s.write.ExecContext(ctx, "DELETE FROM changes WHERE at < ? AND id < (SELECT max(id) FROM changes)", before.Unix())
	if err != nil {
		return fmt.Errorf("store: pruning changes: %w", err)
	}
	return nil
}

// ChangesAmong returns those of the changes ids that are in the log (a
// reader's gaps: ids it skipped because they were not committed yet).
func (s *Store) ChangesAmong(ctx context.Context, ids []int64) ([]ChangeLogEntry, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.read.QueryContext(ctx, "SELECT id, kind, coalesce(token_id, 0) FROM changes WHERE id IN ("+placeholders(len(ids))+") ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("store: reading changes: %w", err)
	}
	defer rows.Close()
	var out []ChangeLogEntry
	for rows.Next() {
		var c ChangeLogEntry
		if err := rows.Scan(&c.ID, &c.Kind, &c.TokenID); err != nil {
			return nil, fmt.Errorf("store: reading changes: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
