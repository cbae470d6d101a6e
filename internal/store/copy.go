package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// derivedTables are kept by triggers from the other tables (counts, the
// change log, the names' trigrams): a copy writes the other tables and
// lets the target's triggers rebuild these, rather than copy them and
// count twice.
var derivedTables = []string{"changes", "token_counts", "provider_counts", "scope_token_counts", "token_trigrams", "token_trigram_counts"}

// ErrTargetNotEmpty: the database to copy into already holds data.
var ErrTargetNotEmpty = errors.New("store: the target database is not empty")

// TableCount is how many rows one table holds.
type TableCount struct {
	Table string
	Rows  int64
}

// PostgresTables lists the tables in the database at url (its current
// schema), without migrating it: a copy must start from an empty database.
func PostgresTables(ctx context.Context, url string) ([]string, error) {
	connector, err := newPGConnector(url)
	if err != nil {
		return nil, errors.New("store: the PostgreSQL URL is not valid")
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() ORDER BY table_name`)
	if err != nil {
		return nil, fmt.Errorf("store: listing the target's tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("store: listing the target's tables: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// CheckSealedSample opens one sealed value, if any is stored: proof, beyond
// the key check, that this store's master key opens what it holds.
func (s *Store) CheckSealedSample(ctx context.Context) error {
	var id int64
	var field string
	var value []byte
	err := s.read.QueryRowContext(ctx, "SELECT token_id, field, value FROM token_values WHERE sealed = 1 ORDER BY token_id, field LIMIT 1").
		Scan(&id, &field, &value)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: reading a sealed value: %w", err)
	}
	if _, err := s.openValue(ctx, s.read, value, valueAAD(id, field)); err != nil {
		return fmt.Errorf("store: the master key does not open token %d's %s: %w", id, field, err)
	}
	return nil
}

// CopyInto copies every row of this SQLite store into dst, a freshly
// migrated PostgreSQL store holding no data, in one transaction: sealed
// values as they are (dst must use the same master key), ids kept, and
// identity sequences moved past the copied ids. It checks each table's
// row count in dst against the source before committing, and calls done
// after each table. Stop every server using either database first.
func (s *Store) CopyInto(ctx context.Context, dst *Store, done func(TableCount)) ([]TableCount, error) {
	if s.d != sqlite || dst.d != postgres {
		return nil, errors.New("store: copies go from SQLite to PostgreSQL")
	}
	// One read transaction: every table as of one moment.
	src, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("store: copy: %w", err)
	}
	defer src.Rollback()
	tables, err := copyOrder(ctx, src)
	if err != nil {
		return nil, err
	}
	var counts []TableCount
	var ownKeys []int64
	err = dst.tx(ctx, func(tx *sql.Tx) error {
		ownKeys = nil
		for _, t := range tables {
			var n int64
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
				return fmt.Errorf("store: copy: the target has no table %s (is it migrated?): %w", t, err)
			}
			switch {
			case t == "meta":
				// Opening dst recorded its own bookkeeping; the source's replaces it.
				if _, err := tx.ExecContext(ctx, "DELETE FROM meta"); err != nil {
					return fmt.Errorf("store: copy: %w", err)
				}
			case t == "data_keys":
				// Opening dst made its first data key, which seals nothing
				// yet (every other table is checked empty): the source's
				// keys, which seal the copied values, replace it.
				rows, err := tx.QueryContext(ctx, "DELETE FROM data_keys RETURNING id")
				if err != nil {
					return fmt.Errorf("store: copy: %w", err)
				}
				for rows.Next() {
					var id int64
					if err := rows.Scan(&id); err != nil {
						rows.Close()
						return fmt.Errorf("store: copy: %w", err)
					}
					ownKeys = append(ownKeys, id)
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					return fmt.Errorf("store: copy: %w", err)
				}
			case n > 0:
				return fmt.Errorf("%w: %s holds %d rows", ErrTargetNotEmpty, t, n)
			}
		}
		for _, t := range tables {
			n, err := copyTable(ctx, src, tx, t)
			if err != nil {
				return err
			}
			var got int64
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+t).Scan(&got); err != nil {
				return fmt.Errorf("store: copy: counting %s: %w", t, err)
			}
			if got != n {
				return fmt.Errorf("store: copy: %s has %d rows in SQLite but %d in PostgreSQL", t, n, got)
			}
			if err := advanceIdentity(ctx, tx, t); err != nil {
				return err
			}
			counts = append(counts, TableCount{Table: t, Rows: n})
			if done != nil {
				done(counts[len(counts)-1])
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The copied keys reuse those ids for other keys.
	for _, id := range ownKeys {
		dst.keys.Forget(id)
	}
	return counts, nil
}

// copyOrder lists the source's tables to copy, each after the tables its
// foreign keys point to.
func copyOrder(ctx context.Context, src *sql.Tx) ([]string, error) {
	// Ordinary tables only: a full-text index (tokens_search, its shadow
	// tables) is derived, and the target keeps its own.
	rows, err := src.QueryContext(ctx, `SELECT name FROM pragma_table_list
		WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite%' AND name <> 'goose_db_version' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: copy: listing tables: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: copy: listing tables: %w", err)
		}
		if !slices.Contains(derivedTables, n) {
			names = append(names, n)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: copy: listing tables: %w", err)
	}
	deps := map[string][]string{}
	for _, n := range names {
		r, err := src.QueryContext(ctx, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, n)
		if err != nil {
			return nil, fmt.Errorf("store: copy: foreign keys of %s: %w", n, err)
		}
		for r.Next() {
			var to string
			if err := r.Scan(&to); err != nil {
				r.Close()
				return nil, fmt.Errorf("store: copy: foreign keys of %s: %w", n, err)
			}
			if to != n {
				deps[n] = append(deps[n], to)
			}
		}
		r.Close()
	}
	var order []string
	placed := map[string]bool{}
	var place func(n string, depth int)
	place = func(n string, depth int) {
		if placed[n] || depth > len(names) || !slices.Contains(names, n) {
			return
		}
		for _, d := range deps[n] {
			place(d, depth+1)
		}
		if !placed[n] {
			placed[n] = true
			order = append(order, n)
		}
	}
	for _, n := range names {
		place(n, 0)
	}
	return order, nil
}

// copyTable copies one table's rows, many to a statement, and returns how
// many it copied.
func copyTable(ctx context.Context, src, dst *sql.Tx, table string) (int64, error) {
	rows, err := src.QueryContext(ctx, "SELECT * FROM "+table)
	if err != nil {
		return 0, fmt.Errorf("store: copy: reading %s: %w", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, fmt.Errorf("store: copy: reading %s: %w", table, err)
	}
	perStatement := max(1, 20000/len(cols)) // PostgreSQL takes at most 65,535 parameters
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	var batch []any
	var n int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		k := len(batch) / len(cols)
		q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", k), ", ")
		if _, err := dst.ExecContext(ctx, q, batch...); err != nil {
			return fmt.Errorf("store: copy: writing %s: %w", table, err)
		}
		batch = batch[:0]
		return nil
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return 0, fmt.Errorf("store: copy: reading %s: %w", table, err)
		}
		batch = append(batch, vals...)
		n++
		if len(batch)/len(cols) >= perStatement {
			if err := flush(); err != nil {
				return 0, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: copy: reading %s: %w", table, err)
	}
	return n, flush()
}

// advanceIdentity moves the sequence of table's identity column (if it
// has one) past the largest id copied, so that the next insert does not
// collide with a copied row.
func advanceIdentity(ctx context.Context, tx *sql.Tx, table string) error {
	var col string
	err := tx.QueryRowContext(ctx, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ? AND is_identity = 'YES'`, table).Scan(&col)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: copy: sequence of %s: %w", table, err)
	}
	_, err = tx.ExecContext(ctx, "SELECT setval(pg_get_serial_sequence(?, ?), (SELECT coalesce(max("+col+"), 0) + 1 FROM "+table+"), false)", table, col)
	if err != nil {
		return fmt.Errorf("store: copy: advancing the sequence of %s: %w", table, err)
	}
	return nil
}
