// Package store keeps tokendesk's data in SQLite (the default) or
// PostgreSQL: hand-written SQL, one file per table, every method taking ctx
// first. The SQL is written once for both (see dialect.go).
package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/tokendesk/tokendesk/internal/secret"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// migrations are SQLite's; migrationsPostgres mirror them version by
// version (see migrations_postgres/README.md).
//
//go:embed migrations/*.sql
var migrations embed.FS

//go:embed migrations_postgres/*.sql
var migrationsPostgres embed.FS

// Sentinel errors; check with errors.Is.
var (
	ErrNotFound      = errors.New("store: not found")
	ErrDuplicateName = errors.New("store: name already in use")
	ErrStale         = errors.New("store: changed by someone else since it was loaded")
	ErrDuplicateUser = errors.New("store: a user with that email already exists")
)

// Store is the database. On SQLite, reads go through a pool and writes
// through a single connection, which is how SQLite wants to be written to
// (no SQLITE_BUSY storms between our own writers). On PostgreSQL both are
// the same pool.
type Store struct {
	read  *sql.DB
	write *sql.DB
	d     dialect
	box   *secret.Box
	keys  *secret.Keyring // data keys, wrapped by box (keys.go)
	// stmts caches prepared read statements: SQLite otherwise parses the
	// SQL of every query again, which dominated the runtime API's CPU.
	stmts sync.Map // query → *sql.Stmt
	// searches remembers how a recent search was sized (search_sizes.go).
	searches searchSizes
	// lists keeps the token list's statements prepared (list_stmts.go).
	lists listStmts
	// statusCounts keeps the list's banner counts (status_counts.go).
	statusCounts statusCounts
	// writes counts committed write transactions (see Writes).
	writes atomic.Uint64
	// committed are told of every commit's changes (commits.go).
	committed atomic.Pointer[[]Committed]
	commitMu  sync.Mutex
	// Now is the clock; tests replace it.
	Now func() time.Time
	// RetireGrace is how long an old data key outlives the last value
	// sealed with it (keys.go).
	RetireGrace time.Duration
	// beforeResealWrite, when set by a test, runs between a re-seal
	// batch's read and its write: where an edit can slip in.
	beforeResealWrite func()
}

// Open opens the database, applies pending migrations and returns the
// store. path is a SQLite file (created if needed) or a postgres:// URL.
// box seals credential values.
func Open(ctx context.Context, path string, box *secret.Box) (*Store, error) {
	if IsPostgresURL(path) {
		return openPostgres(ctx, path, box)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: creating data directory: %w", err)
		}
	}
	if err := privateFiles(path); err != nil {
		return nil, err
	}
	// busy_timeout first, so the following pragmas wait rather than fail.
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	base := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + pragmas

	write, err := openSQLite(base + "&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)

	read, err := openSQLite(base + "&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	read.SetMaxOpenConns(max(4, 2*runtime.NumCPU()))

	return start(ctx, &Store{read: read, write: write, d: sqlite}, box)
}

// start migrates a newly opened database and readies its keyring, the
// same on either database.
func start(ctx context.Context, s *Store, box *secret.Box) (*Store, error) {
	s.box, s.keys, s.Now, s.RetireGrace = box, secret.NewKeyring(box), time.Now, DefaultRetireGrace
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.ensureDataKey(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// openPostgres opens a PostgreSQL database through pgx. Several
// processes may share it: migrations take an advisory lock.
func openPostgres(ctx context.Context, url string, box *secret.Box) (*Store, error) {
	connector, err := newPGConnector(url)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return nil, errors.New("store: the PostgreSQL URL is not valid")
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(max(8, 4*runtime.NumCPU()))
	db.SetMaxIdleConns(max(8, 4*runtime.NumCPU()))
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, noAnswer{err}
	}
	return start(ctx, &Store{read: db, write: db, d: postgres}, box)
}

// MigratePostgres brings the PostgreSQL database at url to the current
// schema and closes it, with no keyring: a database Open then readies
// under any master key. Tests copy one such database (pgtest.Clone)
// rather than migrating each of theirs.
func MigratePostgres(ctx context.Context, url string) error {
	connector, err := newPGConnector(url)
	if err != nil {
		return errors.New("store: the PostgreSQL URL is not valid")
	}
	s := &Store{d: postgres, Now: time.Now}
	s.read = sql.OpenDB(connector)
	s.write = s.read
	defer s.Close()
	return s.migrate(ctx)
}

// PostgresSchema is a short hash of the PostgreSQL migrations, which
// changes whenever they do: tests name their migrated template after it.
// Hashed once: every PostgreSQL test asks.
var PostgresSchema = sync.OnceValue(func() string {
	h := sha256.New()
	fs.WalkDir(migrationsPostgres, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(migrationsPostgres, path)
			fmt.Fprintf(h, "%s %d\n", path, len(b))
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:16]
})

// Dialect names the database: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.String() }

func (s *Store) migrate(ctx context.Context) error {
	files, dir, gd := migrations, "migrations", goose.DialectSQLite3
	var opts []goose.ProviderOption
	if s.d == postgres {
		files, dir, gd = migrationsPostgres, "migrations_postgres", goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("store: migrations: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	sub, err := fs.Sub(files, dir)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	p, err := goose.NewProvider(gd, s.write, sub, opts...)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		// A migration's own refusal (PostgreSQL 00021: pg_trgm missing and
		// the role may not create it) already says what to do: start-up
		// shows that line alone, not goose's wrapping around it.
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == migrationRefused {
			return errors.New("store: " + pe.Message)
		}
		return fmt.Errorf("store: applying migrations: %w", err)
	}
	return s.rekeyNames(ctx)
}

// migrationRefused is the SQLSTATE a PostgreSQL migration raises when the
// database lacks something an administrator must provide; its message says
// what.
const migrationRefused = "TD001"

// Close closes both pools.
func (s *Store) Close() error {
	s.stmts.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
	s.lists.close()
	if s.read == s.write {
		return s.write.Close()
	}
	return errors.Join(s.read.Close(), s.write.Close())
}

// readStmt returns the prepared read statement for query.
func (s *Store) readStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.read.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("store: preparing: %w", err)
	}
	if prev, loaded := s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// queryRow runs a hot read query through a prepared statement.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	st, err := s.readStmt(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

type rowScanner interface{ Scan(...any) error }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// tx runs fn in one write transaction, committing when fn returns nil. On
// SQLite it holds the database's write lock throughout (_txlock=immediate);
// on PostgreSQL it is READ COMMITTED, and a transaction that reads rows to
// decide a write locks them (dialect.forUpdate).
func (s *Store) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	var opts *sql.TxOptions
	if s.d == postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	tx, err := s.write.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := s.d.lockChangeLog(ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	followed, start := s.followed(), int64(0)
	if followed {
		if start, err = logStart(ctx, tx); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	var logged []ChangeLogEntry
	if followed {
		if logged, err = loggedSince(ctx, tx, start); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	s.writes.Add(1)
	s.tell(logged)
	return nil
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

func nullMS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ms(t), Valid: true}
}

// noAnswer is a PostgreSQL that could not be reached at start. pgx's
// message names the host, user and database (never the password) over
// several lines; this one says it in one line and keeps the cause for
// errors.Is and errors.As.
type noAnswer struct{ err error }

func (e noAnswer) Error() string {
	return "store: PostgreSQL does not answer: " + strings.Join(strings.Fields(e.err.Error()), " ")
}

func (e noAnswer) Unwrap() error { return e.err }
