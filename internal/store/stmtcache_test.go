package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

// A statement kept prepared still sees what the schema became after it
// was prepared: a trigger created later fires for it (the change log is
// written by triggers), and a failed Exec leaves nothing behind.
func TestPreparedExecSeesSchemaChangesAndErrors(t *testing.T) {
	db, err := openSQLite("file:" + filepath.Join(t.TempDir(), "t.db") + "?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: every Exec below reuses its statements
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn.Raw(func(c any) error {
		if _, ok := c.(*execCacheConn); !ok {
			t.Errorf("the driver's connection is a %T, not kept prepared: does it still implement fullConn?", c)
		}
		return nil
	})
	conn.Close()
	for _, q := range []string{
		"CREATE TABLE t (v INTEGER PRIMARY KEY)",
		"CREATE TABLE log (v INTEGER)",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	insert := "INSERT INTO t (v) VALUES (?)"
	for v := range 3 {
		if _, err := db.ExecContext(ctx, insert, v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, "CREATE TRIGGER logged AFTER INSERT ON t BEGIN INSERT INTO log (v) VALUES (NEW.v); END"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, insert, 10); err != nil {
		t.Fatal(err)
	}
	// The same statement failing (a duplicate key) and then succeeding.
	if _, err := db.ExecContext(ctx, insert, 10); err == nil {
		t.Fatal("a duplicate key was inserted")
	}
	if _, err := db.ExecContext(ctx, insert, 11); err != nil {
		t.Fatal(err)
	}
	var rows, logged int
	db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&rows)
	db.QueryRowContext(ctx, "SELECT count(*) FROM log").Scan(&logged)
	if rows != 5 || logged != 2 {
		t.Fatalf("%d rows, %d logged by the trigger; want 5 and 2", rows, logged)
	}
	// In a transaction that rolls back, too.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, insert, 12); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&rows)
	if rows != 5 {
		t.Fatalf("%d rows after a rollback, want 5", rows)
	}
}

// A connection prepares a statement once, prepares it again after it
// failed, keeps at most maxCachedStmts and finalizes them all when it
// closes.
func TestExecCacheConnPreparesOnceAndBoundsWhatItKeeps(t *testing.T) {
	fc := &fakeConn{}
	c := newExecCacheConn(fc)
	ctx := context.Background()
	exec := func(q string) error {
		_, err := c.ExecContext(ctx, q, nil)
		return err
	}
	for range 3 {
		if err := exec("UPDATE a"); err != nil {
			t.Fatal(err)
		}
	}
	if fc.prepared != 1 {
		t.Fatalf("prepared %d times for three Execs, want 1", fc.prepared)
	}
	if err := exec("FAIL"); err == nil {
		t.Fatal("no error")
	}
	if err := exec("FAIL"); err == nil {
		t.Fatal("no error")
	}
	if fc.prepared != 3 || fc.open() != 1 {
		t.Fatalf("after two failed Execs: prepared %d, open %d; want 3 and 1 (a failed statement is not kept)", fc.prepared, fc.open())
	}
	for i := range maxCachedStmts + 10 {
		if err := exec(fmt.Sprintf("UPDATE b%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if fc.open() != maxCachedStmts {
		t.Fatalf("%d statements open, want at most %d", fc.open(), maxCachedStmts)
	}
	if err := exec(fmt.Sprintf("UPDATE b%d", maxCachedStmts+9)); err != nil { // the most recent is kept
		t.Fatal(err)
	}
	before := fc.prepared
	if err := exec("UPDATE a"); err != nil { // the least recent was not
		t.Fatal(err)
	}
	if fc.prepared != before+1 {
		t.Fatal("the least recently used statement was kept")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if fc.open() != 0 || !fc.closed {
		t.Fatalf("after Close: %d statements open, connection closed %v", fc.open(), fc.closed)
	}
}

// fakeConn counts what is prepared and closed; a statement whose query is
// FAIL fails.
type fakeConn struct {
	fullConn // not called
	prepared int
	finished int
	closed   bool
}

func (f *fakeConn) open() int { return f.prepared - f.finished }

func (f *fakeConn) PrepareContext(_ context.Context, q string) (driver.Stmt, error) {
	f.prepared++
	return &fakeStmt{c: f, q: q}, nil
}

func (f *fakeConn) Close() error { f.closed = true; return nil }

type fakeStmt struct {
	driver.Stmt // not called
	c           *fakeConn
	q           string
}

func (s *fakeStmt) ExecContext(context.Context, []driver.NamedValue) (driver.Result, error) {
	if s.q == "FAIL" {
		return nil, errors.New("failed")
	}
	return driver.RowsAffected(1), nil
}

func (s *fakeStmt) Close() error { s.c.finished++; return nil }
