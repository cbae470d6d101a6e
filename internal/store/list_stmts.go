package store

import (
	"context"
	"database/sql"
	"sync"
)

// The token list's statements are built from its filter, so they are not
// among the fixed queries readStmt keeps. Parsing one took a third of a
// list's time in the database at 100,000 tokens (sort by Status asks up to
// a dozen): the first listStmtsKept texts are kept prepared. A filter's
// shapes are few (orders, directions, cursors, which filters are set), so
// that holds them all in practice; beyond it a statement is parsed each
// time, as before, and never closed under a running query. SQLite only:
// PostgreSQL plans a prepared statement once for all its arguments after a
// few runs, and a list's plan depends on them (a search's selectivity).
const listStmtsKept = 512

type listStmts struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// listQuery runs a list statement, prepared once while there is room.
func (s *Store) listQuery(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := s.listStmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.read.QueryContext(ctx, query, args...)
}

// listRow is listQuery for a statement of one row.
func (s *Store) listRow(ctx context.Context, query string, args ...any) rowScanner {
	if st := s.listStmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.read.QueryRowContext(ctx, query, args...)
}

func (s *Store) listStmt(ctx context.Context, query string) *sql.Stmt {
	if s.d != sqlite {
		return nil
	}
	c := &s.lists
	c.mu.Lock()
	st, ok := c.m[query]
	full := len(c.m) >= listStmtsKept
	c.mu.Unlock()
	if ok || full {
		return st
	}
	st, err := s.read.PrepareContext(ctx, query)
	if err != nil {
		return nil // the query itself reports it
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[query]; ok || len(c.m) >= listStmtsKept {
		st.Close() // prepared meanwhile, or no room left
		return prev
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st
}

// close closes the kept statements (Store.Close).
func (c *listStmts) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}
