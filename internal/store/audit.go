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
// than After, or newer than Before, or the newest.
type AuditQuery struct {
	Limit         int
	After, Before *AuditCursor
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
	where, order := "", "a.at DESC, a.id DESC"
	var args []any
	switch {
	case q.After != nil:
		where, args = "WHERE (a.at, a.id) < (?, ?)", []any{q.After.At, q.After.ID}
	case q.Before != nil:
		where, args, order = "WHERE (a.at, a.id) > (?, ?)", []any{q.Before.At, q.Before.ID}, "a.at, a.id"
	}
	return `
		SELECT a.id, a.at, a.actor, a.action, a.subject, ifnull(a.token_id, 0), a.provider, a.fields, a.detail,
		       t.id IS NOT NULL, ifnull(ifnull(t.app_id, a.app_id), 0), ap.id IS NOT NULL, ifnull(ap.name, '')
		FROM audit_log a
		LEFT JOIN tokens t ON t.id = a.token_id
		LEFT JOIN apps ap ON ap.id = CASE WHEN t.id IS NOT NULL THEN t.app_id ELSE a.app_id END
		` + where + ` ORDER BY ` + order + ` LIMIT ?`, append(args, q.Limit+1)
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
		var at int64
		var fields string
		if err := rows.Scan(&a.ID, &at, &a.Actor, &a.Action, &a.Subject, &a.TokenID, &a.Provider, &fields, &a.Detail,
			&a.TokenExists, &a.AppID, &a.AppExists, &a.AppName); err != nil {
			return nil, AuditPage{}, fmt.Errorf("store: reading audit log: %w", err)
		}
		a.At = fromMS(at)
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
