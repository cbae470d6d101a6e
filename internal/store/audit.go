package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Audit actions.
const (
	ActionTokenCreate = "token.create"
	ActionTokenUpdate = "token.update"
	ActionTokenDelete = "token.delete"
)

type actorKey struct{}

// WithActor names the person on whose behalf work under ctx is done, such
// as an administrator pressing Renew now: the audit log then names them
// rather than the renewal worker.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// actorOr is the person WithActor named, or fallback.
func actorOr(ctx context.Context, fallback string) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return fallback
}

// Audit is one entry of the audit log. Fields holds field keys, never values.
type Audit struct {
	ID       int64
	At       time.Time
	Actor    string
	Action   string
	Subject  string
	TokenID  int64
	AppID    int64
	Provider string
	Fields   []string
	Detail   string
	// Read back only: whether the token (or app) still exists, and the
	// name of the app the entry belongs to ("" for global ones).
	TokenExists bool
	AppExists   bool
	AppName     string
	// Count is how many routine renewals one entry stands for (1 for
	// every other entry), LastAt the latest of them (see countRenewal).
	Count  int
	LastAt time.Time
}

// countRenewal records a routine renewal by the worker: the token's entry
// for the UTC day counts one more (and is created with the first), so that
// renewals every few minutes do not bury what people did.
func countRenewal(ctx context.Context, tx *sql.Tx, a Audit) error {
	day := ms(a.At) / (24 * 60 * 60 * 1000)
	_, err := tx.ExecContext(ctx, `
		INSERT INTO audit_log (at, actor, action, subject, token_id, app_id, provider, fields, detail, day, count, last_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
		ON CONFLICT (token_id, day) WHERE day IS NOT NULL
		DO UPDATE SET count = audit_log.count + 1, last_at = excluded.last_at, subject = excluded.subject, fields = excluded.fields`,
		ms(a.At), a.Actor, a.Action, a.Subject, nullID(a.TokenID), nullID(a.AppID), a.Provider, strings.Join(a.Fields, ","), a.Detail, day, ms(a.At))
	if err != nil {
		return fmt.Errorf("store: counting a renewal: %w", err)
	}
	return nil
}

func insertAudit(ctx context.Context, tx *sql.Tx, a Audit) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO audit_log (at, actor, action, subject, token_id, app_id, provider, fields, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ms(a.At), a.Actor, a.Action, a.Subject, nullID(a.TokenID), nullID(a.AppID), a.Provider, strings.Join(a.Fields, ","), a.Detail)
	if err != nil {
		return fmt.Errorf("store: writing audit entry: %w", err)
	}
	return nil
}

// AddAudit records an entry outside any other change (sign-ins, renewals).
func (s *Store) AddAudit(ctx context.Context, a Audit) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return insertAudit(ctx, tx, a) })
}

// ListAudit returns one page of the audit log, newest first, and whether
// an older page exists. It reads every entry up to the page: for tests and
// tools; the console pages with AuditLog.
func (s *Store) ListAudit(ctx context.Context, page, perPage int) ([]Audit, bool, error) {
	page = max(page, 1)
	out, pg, err := s.AuditLog(ctx, AuditQuery{Limit: page * perPage})
	if err != nil {
		return nil, false, err
	}
	if len(out) <= (page-1)*perPage {
		return nil, false, nil
	}
	return out[(page-1)*perPage:], pg.HasNext, nil
}

// AuditCursor is an entry's place in the audit log.
type AuditCursor struct {
	At int64 `json:"t"` // Unix ms
	ID int64 `json:"i"`
}

// AuditQuery asks for one page of the audit log: the Limit entries older
// than After, or newer than Before, or the newest, that pass Filter.
type AuditQuery struct {
	Limit         int
	After, Before *AuditCursor
	Filter        AuditFilter
}

// AuditFilter narrows the audit log. Zero fields do not filter.
type AuditFilter struct {
	Actor  string // who, whole, in any case
	Token  string // the token's name as the entry recorded it, in any case
	AppID  int64
	Action string
	// From and To bound the time: From <= at < To.
	From, To time.Time
}

// conditions is the filter as SQL, each condition one an index can serve
// (migration 00016): lower(actor), action, app_id, lower(subject) of token
// entries, each followed by the time.
func (f AuditFilter) conditions() ([]string, []any) {
	var where []string
	var args []any
	if f.Actor != "" {
		where, args = append(where, "lower(a.actor) = lower(?)"), append(args, f.Actor)
	}
	if f.Token != "" {
		where, args = append(where, "a.token_id IS NOT NULL AND lower(a.subject) = lower(?)"), append(args, f.Token)
	}
	if f.AppID != 0 {
		where, args = append(where, "a.app_id = ?"), append(args, f.AppID)
	}
	if f.Action != "" {
		where, args = append(where, "a.action = ?"), append(args, f.Action)
	}
	if !f.From.IsZero() {
		where, args = append(where, "a.at >= ?"), append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "a.at < ?"), append(args, ms(f.To))
	}
	return where, args
}

// AuditPage says where a page of the audit log starts and ends, and
// whether newer (HasPrev) and older (HasNext) entries lie beyond it.
type AuditPage struct {
	First, Last      AuditCursor
	HasPrev, HasNext bool
}

// auditQuery is the statement that reads one page of the audit log from
// audit_log_at, newest first (one entry more, to know if another page follows).
func auditQuery(q AuditQuery) (string, []any) {
	where, args := q.Filter.conditions()
	order := "a.at DESC, a.id DESC"
	switch {
	case q.After != nil:
		where, args = append(where, "(a.at, a.id) < (?, ?)"), append(args, q.After.At, q.After.ID)
	case q.Before != nil:
		where, args, order = append(where, "(a.at, a.id) > (?, ?)"), append(args, q.Before.At, q.Before.ID), "a.at, a.id"
	}
	cond := ""
	if len(where) > 0 {
		cond = "WHERE " + strings.Join(where, " AND ")
	}
	return `
		SELECT a.id, a.at, a.actor, a.action, a.subject, coalesce(a.token_id, 0), a.provider, a.fields, a.detail,
		       t.id IS NOT NULL, coalesce(a.app_id, t.app_id, 0), ap.id IS NOT NULL, coalesce(ap.name, ''), a.count, coalesce(a.last_at, 0)
		FROM audit_log a
		LEFT JOIN tokens t ON t.id = a.token_id
		LEFT JOIN apps ap ON ap.id = coalesce(a.app_id, t.app_id)
		` + cond + ` ORDER BY ` + order + ` LIMIT ?`, append(args, q.Limit+1)
}

// AuditLog returns one page of the audit log, newest first.
func (s *Store) AuditLog(ctx context.Context, q AuditQuery) ([]Audit, AuditPage, error) {
	q.Limit = max(q.Limit, 1)
	query, args := auditQuery(q)
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, AuditPage{}, fmt.Errorf("store: reading audit log: %w", err)
	}
	defer rows.Close()
	var out []Audit
	for rows.Next() {
		var a Audit
		var at, lastAt int64
		var fields string
		if err := rows.Scan(&a.ID, &at, &a.Actor, &a.Action, &a.Subject, &a.TokenID, &a.Provider, &fields, &a.Detail,
			&a.TokenExists, &a.AppID, &a.AppExists, &a.AppName, &a.Count, &lastAt); err != nil {
			return nil, AuditPage{}, fmt.Errorf("store: reading audit log: %w", err)
		}
		a.At = fromMS(at)
		if lastAt != 0 {
			a.LastAt = fromMS(lastAt)
		}
		if fields != "" {
			a.Fields = strings.Split(fields, ",")
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, AuditPage{}, fmt.Errorf("store: reading audit log: %w", err)
	}
	more := len(out) > q.Limit
	if more {
		out = out[:q.Limit]
	}
	var pg AuditPage
	if q.Before != nil {
		slices.Reverse(out)
		pg.HasPrev, pg.HasNext = more, len(out) > 0
	} else {
		pg.HasPrev, pg.HasNext = q.After != nil, more
	}
	if len(out) > 0 {
		pg.First = AuditCursor{At: ms(out[0].At), ID: out[0].ID}
		pg.Last = AuditCursor{At: ms(out[len(out)-1].At), ID: out[len(out)-1].ID}
	}
	return out, pg, nil
}

// plural counts n things in an audit detail: "1 app", "2 apps".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// exportPage is how many entries an export reads at a time: each page is
// one short read, so a long download never holds a read open for its
// whole length.
const exportPage = 500

// EachAudit calls fn for every entry that passes f, newest first, reading
// a page at a time.
func (s *Store) EachAudit(ctx context.Context, f AuditFilter, fn func(Audit) error) error {
	q := AuditQuery{Limit: exportPage, Filter: f}
	for {
		entries, pg, err := s.AuditLog(ctx, q)
		if err != nil {
			return err
		}
		for _, a := range entries {
			if err := fn(a); err != nil {
				return err
			}
		}
		if !pg.HasNext {
			return nil
		}
		last := pg.Last
		q.After = &last
	}
}

// MaxRefusalRows bounds the refused-fetch log whatever the retention: a
// flood of bad keys for months costs at most this many rows (about 100
// bytes each); the oldest go first.
const MaxRefusalRows = 1_000_000

// PruneAudit deletes audit entries, read-audit counts and refused fetches
// from before cutoff (and refused fetches beyond MaxRefusalRows), batch
// rows per transaction, so that other writers wait at most one short
// batch. It reports how many rows went.
func (s *Store) PruneAudit(ctx context.Context, cutoff time.Time, batch int) (int64, error) {
	return s.pruneAudit(ctx, cutoff, batch, MaxRefusalRows)
}

func (s *Store) pruneAudit(ctx context.Context, cutoff time.Time, batch, maxRefusals int) (int64, error) {
	batch = max(batch, 1)
	minute := cutoff.Unix() / 60
	steps := []struct {
		query string
		args  []any
	}{
		{`DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ? ORDER BY at, id LIMIT ?)`, []any{ms(cutoff), batch}},
		{`DELETE FROM api_reads WHERE (minute, client_id, token_id, outcome) IN (
			SELECT minute, client_id, token_id, outcome FROM api_reads WHERE minute < ? ORDER BY minute LIMIT ?)`, []any{minute, batch}},
		{`DELETE FROM api_refusals WHERE id IN (SELECT id FROM api_refusals WHERE minute < ? ORDER BY minute, id LIMIT ?)`, []any{minute, batch}},
		// Ids grow by one per row, so the newest maxRefusals rows are those
		// within maxRefusals of the highest id.
		{`DELETE FROM api_refusals WHERE id IN (SELECT id FROM api_refusals
			WHERE id <= (SELECT coalesce(max(id), 0) FROM api_refusals) - ? ORDER BY id LIMIT ?)`, []any{maxRefusals, batch}},
	}
	var total int64
	for _, st := range steps {
		for {
			if err := ctx.Err(); err != nil {
				return total, err
			}
			var n int64
			err := s.tx(ctx, func(tx *sql.Tx) error {
				res, err := tx.ExecContext(ctx, st.query, st.args...)
				if err != nil {
					return fmt.Errorf("store: pruning the audit log: %w", err)
				}
				n, err = res.RowsAffected()
				return err
			})
			if err != nil {
				return total, err
			}
			total += n
			if n < int64(batch) {
				break
			}
		}
	}
	return total, nil
}
