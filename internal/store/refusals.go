package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tokendesk/tokendesk/internal/token"
)

// Reasons a runtime API fetch was refused, beyond the API's own error codes
// (conflict, retired, renewal_failed, busy).
const (
	RefusedMissingKey   = "missing_key"
	RefusedBadKey       = "bad_key"
	RefusedRevokedKey   = "revoked_key"
	RefusedRateLimited  = "rate_limited"
	RefusedNotPermitted = "not_permitted"
	RefusedNotFound     = "not_found"
)

// RefusalKey is what makes refused fetches identical: they are counted
// together within one minute.
type RefusalKey struct {
	Minute    int64 // Unix minutes
	Reason    string
	ClientID  int64  // 0: no client was recognised
	KeyPrefix string // what the console shows of a key; never more
	TokenName string // the name asked for
	Address   string // "": too many different refusals that minute to list
}

// RefusalCount is how many identical refusals there were, and the last.
type RefusalCount struct {
	Count int64
	Last  time.Time
}

// RecordRefusals adds counted refusals to the refused-fetch log in one
// transaction.
func (s *Store) RecordRefusals(ctx context.Context, m map[RefusalKey]RefusalCount) error {
	if len(m) == 0 {
		return nil
	}
	keys := slices.SortedFunc(maps.Keys(m), func(a, b RefusalKey) int {
		return cmp.Or(cmp.Compare(a.Minute, b.Minute), strings.Compare(a.Reason, b.Reason), cmp.Compare(a.ClientID, b.ClientID),
			strings.Compare(a.KeyPrefix, b.KeyPrefix), strings.Compare(a.TokenName, b.TokenName), strings.Compare(a.Address, b.Address))
	})
	return s.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `
			INSERT INTO api_refusals (minute, reason, client_id, key_prefix, token_name, address, count, last_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (minute, reason, client_id, key_prefix, token_name, address) DO UPDATE SET
				count = api_refusals.count + excluded.count,
				last_at = CASE WHEN excluded.last_at > api_refusals.last_at THEN excluded.last_at ELSE api_refusals.last_at END`)
		if err != nil {
			return fmt.Errorf("store: recording refusals: %w", err)
		}
		defer st.Close()
		for _, k := range keys {
			c := m[k]
			if _, err := st.ExecContext(ctx, k.Minute, k.Reason, k.ClientID, k.KeyPrefix, k.TokenName, k.Address, c.Count, ms(c.Last)); err != nil {
				return fmt.Errorf("store: recording refusals: %w", err)
			}
		}
		return nil
	})
}

// RevokedClientByHash finds the revoked client whose key hashes to hash:
// a refused key is told apart as revoked rather than unknown.
func (s *Store) RevokedClientByHash(ctx context.Context, hash string) (Client, error) {
	return scanClient(s.read.QueryRowContext(ctx, "SELECT "+clientCols+" FROM api_clients WHERE key_hash = ? AND revoked_at IS NOT NULL", hash))
}

// Refusal is one row of the refused-fetch log.
type Refusal struct {
	ID         int64
	Minute     time.Time
	Reason     string
	ClientID   int64
	ClientName string // "" when unknown or since deleted
	KeyPrefix  string
	TokenName  string
	Address    string
	Count      int64
	Last       time.Time
}

// RefusalCursor is a row's place in the refused-fetch log.
type RefusalCursor struct {
	Minute int64 `json:"m"`
	ID     int64 `json:"i"`
}

// ReadFilter narrows the read audit and the refused-fetch log.
type ReadFilter struct {
	// Client is a client's id; 0 with ByClient: keys no client was found for.
	Client   int64
	ByClient bool
	Token    string // a token's name, in any case
}

func refusalsQuery(f ReadFilter, limit int, after *RefusalCursor) (string, []any) {
	var where []string
	var args []any
	if f.ByClient {
		where, args = append(where, "r.client_id = ?"), append(args, f.Client)
	}
	if f.Token != "" {
		where, args = append(where, "lower(r.token_name) = lower(?)"), append(args, f.Token)
	}
	if after != nil {
		where, args = append(where, "(r.minute, r.id) < (?, ?)"), append(args, after.Minute, after.ID)
	}
	cond := ""
	if len(where) > 0 {
		cond = "WHERE " + strings.Join(where, " AND ")
	}
	return `
		SELECT r.id, r.minute, r.reason, r.client_id, coalesce(c.name, ''), r.key_prefix, r.token_name, r.address, r.count, r.last_at
		FROM api_refusals r LEFT JOIN api_clients c ON c.id = r.client_id
		` + cond + ` ORDER BY r.minute DESC, r.id DESC LIMIT ?`, append(args, limit+1)
}

// Refusals returns up to limit refused fetches after the cursor, newest
// first, and whether more follow.
func (s *Store) Refusals(ctx context.Context, f ReadFilter, limit int, after *RefusalCursor) ([]Refusal, bool, error) {
	limit = max(limit, 1)
	query, args := refusalsQuery(f, limit, after)
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, false, fmt.Errorf("store: refused fetches: %w", err)
	}
	defer rows.Close()
	var out []Refusal
	for rows.Next() {
		var r Refusal
		var minute, last int64
		if err := rows.Scan(&r.ID, &minute, &r.Reason, &r.ClientID, &r.ClientName, &r.KeyPrefix, &r.TokenName, &r.Address, &r.Count, &last); err != nil {
			return nil, false, fmt.Errorf("store: refused fetches: %w", err)
		}
		r.Minute, r.Last = time.Unix(minute*60, 0).UTC(), fromMS(last)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("store: refused fetches: %w", err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}

// EachRefusal calls fn for every refused fetch that passes f, newest first.
func (s *Store) EachRefusal(ctx context.Context, f ReadFilter, fn func(Refusal) error) error {
	return eachPage(func(after *RefusalCursor) ([]Refusal, bool, error) {
		return s.Refusals(ctx, f, exportPage, after)
	}, func(last Refusal) *RefusalCursor {
		return &RefusalCursor{Minute: last.Minute.Unix() / 60, ID: last.ID}
	}, fn)
}

// eachPage calls fn for every row of a keyset-paged list, reading it
// exportPage rows at a time: read gives the page after a cursor (nil: the
// first) and whether more follow, next the cursor after a page's last row.
func eachPage[R, C any](read func(after *C) ([]R, bool, error), next func(last R) *C, fn func(R) error) error {
	var after *C
	for {
		page, more, err := read(after)
		if err != nil {
			return err
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
		}
		if !more || len(page) == 0 {
			return nil
		}
		after = next(page[len(page)-1])
	}
}

// ReadRow is one row of the read audit: a client's fetches of a token with
// one outcome within one minute.
type ReadRow struct {
	Minute     time.Time
	ClientID   int64
	ClientName string // "" when unknown or since deleted
	KeyPrefix  string
	TokenID    int64
	TokenName  string // "" when none was found or it was since deleted
	Outcome    string
	Count      int64
}

// ReadCursor is a row's place in the read audit.
type ReadCursor struct {
	Minute   int64  `json:"m"`
	ClientID int64  `json:"c"`
	TokenID  int64  `json:"t"`
	Outcome  string `json:"o"`
}

// readsQuery reads a page of the read audit; with a token name, of the
// tokens tokenIDs (those of that name, found first: one, mostly, whose rows
// api_reads_token_page holds in page order).
func readsQuery(f ReadFilter, tokenIDs []int64, limit int, after *ReadCursor) (string, []any) {
	var where []string
	var args []any
	if f.ByClient {
		where, args = append(where, "r.client_id = ?"), append(args, f.Client)
	}
	if f.Token != "" {
		where = append(where, "r.token_id IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(tokenIDs)), ", ")+")")
		for _, id := range tokenIDs {
			args = append(args, id)
		}
	}
	if after != nil {
		where = append(where, "(r.minute, r.client_id, r.token_id, r.outcome) < (?, ?, ?, ?)")
		args = append(args, after.Minute, after.ClientID, after.TokenID, after.Outcome)
	}
	cond := ""
	if len(where) > 0 {
		cond = "WHERE " + strings.Join(where, " AND ")
	}
	return `
		SELECT r.minute, r.client_id, coalesce(c.name, ''), coalesce(c.key_prefix, ''), r.token_id, coalesce(t.name, ''), r.outcome, r.count
		FROM api_reads r
		LEFT JOIN api_clients c ON c.id = r.client_id
		LEFT JOIN tokens t ON t.id = r.token_id
		` + cond + ` ORDER BY r.minute DESC, r.client_id DESC, r.token_id DESC, r.outcome DESC LIMIT ?`, append(args, limit+1)
}

// Reads returns up to limit rows of the read audit after the cursor,
// newest minute first, and whether more follow.
func (s *Store) Reads(ctx context.Context, f ReadFilter, limit int, after *ReadCursor) ([]ReadRow, bool, error) {
	limit = max(limit, 1)
	var ids []int64
	if f.Token != "" {
		rows, err := s.read.QueryContext(ctx, "SELECT id FROM tokens WHERE name_key = ?", token.NameKey(strings.TrimSpace(f.Token)))
		if err != nil {
			return nil, false, fmt.Errorf("store: read audit: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, false, fmt.Errorf("store: read audit: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) == 0 {
			return nil, false, nil
		}
	}
	query, args := readsQuery(f, ids, limit, after)
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, false, fmt.Errorf("store: read audit: %w", err)
	}
	defer rows.Close()
	var out []ReadRow
	for rows.Next() {
		var r ReadRow
		var minute int64
		if err := rows.Scan(&minute, &r.ClientID, &r.ClientName, &r.KeyPrefix, &r.TokenID, &r.TokenName, &r.Outcome, &r.Count); err != nil {
			return nil, false, fmt.Errorf("store: read audit: %w", err)
		}
		r.Minute = time.Unix(minute*60, 0).UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("store: read audit: %w", err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}

// EachRead calls fn for every read-audit row that passes f, newest first.
func (s *Store) EachRead(ctx context.Context, f ReadFilter, fn func(ReadRow) error) error {
	return eachPage(func(after *ReadCursor) ([]ReadRow, bool, error) {
		return s.Reads(ctx, f, exportPage, after)
	}, func(last ReadRow) *ReadCursor {
		return &ReadCursor{Minute: last.Minute.Unix() / 60, ClientID: last.ClientID, TokenID: last.TokenID, Outcome: last.Outcome}
	}, fn)
}

// ClientChoice is an API client as a filter offers it.
type ClientChoice struct {
	ID        int64
	Name      string
	KeyPrefix string
	AppName   string // "" for a global client
	Revoked   bool
}

// AllClients lists every API client, live or revoked, of every scope, by
// name: the choices of the read audit's client filter.
func (s *Store) AllClients(ctx context.Context) ([]ClientChoice, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT c.id, c.name, c.key_prefix, coalesce(a.name, ''), c.revoked_at IS NOT NULL
		FROM api_clients c LEFT JOIN apps a ON a.id = c.app_id ORDER BY lower(c.name), c.id`)
	if err != nil {
		return nil, fmt.Errorf("store: clients: %w", err)
	}
	defer rows.Close()
	var out []ClientChoice
	for rows.Next() {
		var c ClientChoice
		if err := rows.Scan(&c.ID, &c.Name, &c.KeyPrefix, &c.AppName, &c.Revoked); err != nil {
			return nil, fmt.Errorf("store: clients: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
