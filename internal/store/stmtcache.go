package store

import (
	"container/list"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	msqlite "modernc.org/sqlite"
)

// SQLite connections keep the statements they execute prepared.
// modernc.org/sqlite prepares anew every statement database/sql passes to
// a connection's Exec, and SQLite compiles a table's triggers into each
// statement that writes the table: preparing was half the CPU time of
// saving a renewal, which holds the only write connection meanwhile
// (BenchmarkDrain10kDueAtOnce fell from 95 % to 88 % of its ceiling after
// migration 00032 added one more trigger on tokens). Only Exec is cached: it runs
// a statement to completion (the driver resets it for the next use) before
// it returns, so one statement is never in use twice. A query's rows hold
// their statement until they are closed, so queries are prepared per call
// as before. PostgreSQL needs none of this: pgx caches statements itself.

// maxCachedStmts bounds a connection's prepared statements: the writes a
// save makes are a few dozen; statements built for a count of rows (the
// batched upserts) come and go.
const maxCachedStmts = 128

// openSQLite is sql.Open("sqlite", dsn) with prepared Exec statements,
// interposed on the driver's connections as msqlite.NewConnector intends.
func openSQLite(dsn string) (*sql.DB, error) {
	base, err := msqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(execCacheConnector{base}), nil
}

type execCacheConnector struct{ driver.Connector }

func (c execCacheConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	full, ok := conn.(fullConn)
	if !ok { // another driver version: as it is
		return conn, nil
	}
	return newExecCacheConn(full), nil
}

// fullConn is what modernc.org/sqlite's connection implements and
// database/sql uses; execCacheConn passes on all of it.
type fullConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// execCacheConn is one connection (used by one goroutine at a time, as
// database/sql does) and its prepared statements, least recently used
// last.
type execCacheConn struct {
	fullConn
	stmts map[string]*list.Element // of *cachedStmt
	order *list.List
}

func newExecCacheConn(c fullConn) *execCacheConn {
	return &execCacheConn{fullConn: c, stmts: map[string]*list.Element{}, order: list.New()}
}

type cachedStmt struct {
	query string
	stmt  driver.StmtExecContext
	close func() error
}

func (c *execCacheConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	st, err := c.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	res, err := st.stmt.ExecContext(ctx, args)
	if err != nil {
		// Whatever state an error (or a cancelled context) leaves the
		// statement in, it is not used again.
		c.drop(query)
	}
	return res, err
}

// prepared is query's statement, prepared now if it was not.
func (c *execCacheConn) prepared(ctx context.Context, query string) (*cachedStmt, error) {
	if e, ok := c.stmts[query]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*cachedStmt), nil
	}
	ds, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	ex, ok := ds.(driver.StmtExecContext)
	if !ok {
		ds.Close()
		return nil, fmt.Errorf("store: the SQLite driver's statements lack ExecContext")
	}
	st := &cachedStmt{query: query, stmt: ex, close: ds.Close}
	c.stmts[query] = c.order.PushFront(st)
	for c.order.Len() > maxCachedStmts {
		c.drop(c.order.Back().Value.(*cachedStmt).query)
	}
	return st, nil
}

func (c *execCacheConn) drop(query string) {
	if e, ok := c.stmts[query]; ok {
		delete(c.stmts, query)
		c.order.Remove(e)
		e.Value.(*cachedStmt).close()
	}
}

// Close finalizes the statements, then closes the connection.
func (c *execCacheConn) Close() error {
	for q := range c.stmts {
		c.drop(q)
	}
	return c.fullConn.Close()
}
