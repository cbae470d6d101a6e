package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// dialect is the database the store talks to. The SQL is written once, in
// the subset both databases accept, with SQLite's ? placeholders; the few
// statements that must differ ask the dialect (forUpdate, skipLocked).
type dialect int

const (
	sqlite dialect = iota
	postgres
)

func (d dialect) String() string {
	if d == postgres {
		return "postgres"
	}
	return "sqlite"
}

// IsPostgresURL reports whether a database URL names PostgreSQL rather
// than a SQLite file.
func IsPostgresURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// forUpdate locks the rows a transaction reads before it writes them. SQLite
// needs none (one writer holds the whole database); PostgreSQL runs
// transactions side by side at READ COMMITTED.
func (d dialect) forUpdate() string {
	if d == postgres {
		return " FOR UPDATE"
	}
	return ""
}

// skipLocked is forUpdate for a claim: rows another transaction is claiming
// are passed over rather than waited for.
func (d dialect) skipLocked() string {
	if d == postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// isUniqueViolation reports a UNIQUE constraint failure, by SQLSTATE 23505
// on PostgreSQL and by SQLite's message otherwise.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// indexedBy is SQLite's planner hint; PostgreSQL has none (its planner
// chooses from statistics), so the hint is dropped there.
var indexedBy = regexp.MustCompile(`(?i)\s+INDEXED\s+BY\s+[a-z_][a-z0-9_]*`)

// rebind turns SQLite's placeholders into PostgreSQL's: ?NNN becomes $NNN
// and a bare ? takes the next number after the largest used so far (as
// SQLite numbers them). Quoted text, identifiers, comments and
// dollar-quoted bodies are left alone. It is the one place SQL is
// translated between the dialects.
func rebind(query string) string {
	if !strings.ContainsAny(query, "?") && !strings.Contains(strings.ToUpper(query), "INDEXED") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	largest := 0
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(query) {
				if query[j] == c {
					if j+1 < len(query) && query[j+1] == c { // doubled quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			end := min(j+1, len(query))
			b.WriteString(query[i:end])
			i = end
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			b.WriteString(query[i : i+j])
			i += j
		case c == '$':
			// A dollar-quoted body ($$ … $$ or $tag$ … $tag$) is copied whole.
			if tag := dollarTag(query[i:]); tag != "" {
				j := strings.Index(query[i+len(tag):], tag)
				end := len(query)
				if j >= 0 {
					end = i + len(tag) + j + len(tag)
				}
				b.WriteString(query[i:end])
				i = end
				continue
			}
			b.WriteByte(c)
			i++
		case c == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			n := largest + 1
			if j > i+1 {
				n, _ = strconv.Atoi(query[i+1 : j])
			}
			largest = max(largest, n)
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return indexedBy.ReplaceAllString(b.String(), "")
}

// dollarTag is the opening tag of a dollar-quoted string at the start of s
// ("$$" or "$name$"), or "" when s does not start one.
func dollarTag(s string) string {
	for j := 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '$':
			return s[:j+1]
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 1 && c >= '0' && c <= '9':
		default:
			return ""
		}
	}
	return ""
}

// pgConnector opens pgx connections (through its database/sql driver, so
// the store keeps one API over both databases) whose statements are
// rebound from SQLite's placeholders.
type pgConnector struct{ driver.Connector }

func newPGConnector(url string) (driver.Connector, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	return pgConnector{stdlib.GetConnector(*cfg, stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
		m := c.TypeMap()
		m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{wrapBoolAsInt}, m.TryWrapEncodePlanFuncs...)
		return nil
	}))}, nil
}

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{conn.(*stdlib.Conn)}, nil
}

// pgConn is pgx's connection with every statement rebound; everything
// else (transactions, resets, value checks) is pgx's own.
type pgConn struct{ *stdlib.Conn }

func (c *pgConn) Prepare(query string) (driver.Stmt, error) { return c.Conn.Prepare(rebind(query)) }

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebind(query))
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(query), args)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(query), args)
}

// wrapBoolAsInt lets a Go bool be written to an integer column, as SQLite
// takes it: flags (encrypted, sealed, active) are 0/1 integers in both
// schemas, so that the same SQL compares them with = 1.
func wrapBoolAsInt(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	if b, ok := value.(bool); ok {
		return &boolAsIntPlan{}, boolInt(b), true
	}
	return nil, nil, false
}

type boolAsIntPlan struct{ next pgtype.EncodePlan }

func (p *boolAsIntPlan) SetNext(next pgtype.EncodePlan) { p.next = next }

func (p *boolAsIntPlan) Encode(value any, buf []byte) ([]byte, error) {
	return p.next.Encode(boolInt(value.(bool)), buf)
}

type boolInt bool

func (b boolInt) Int64Value() (pgtype.Int8, error) {
	var n int64
	if b {
		n = 1
	}
	return pgtype.Int8{Int64: n, Valid: true}, nil
}

// changeLogLock is the advisory lock that orders the writers of the change
// log on PostgreSQL (migrations_postgres/00009_baseline.sql, changes_log).
const changeLogLock = 7237116261425491308

// lockChangeLog takes changeLogLock at the start of a write transaction, so
// that the change log's ids commit in order (a reader that saw id 11 never
// misses a later-committed 10) and so that the lock, taken before any row
// lock, cannot deadlock with them. SQLite's write lock does both already.
func (d dialect) lockChangeLog(ctx context.Context, tx *sql.Tx) error {
	if d != postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock("+strconv.FormatInt(changeLogLock, 10)+")"); err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	return nil
}
