package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
)

// Each filter of the audit log, and of the read audit, reads one index
// range in order, first page and further ones: fast at 100,000 entries.
func TestAuditFiltersUseIndexes(t *testing.T) {
	s := openTest(t)
	cur := &AuditCursor{At: 5, ID: 5}
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for name, f := range map[string]AuditFilter{
		"audit_log_actor":        {Actor: "ada@example.com"},
		"audit_log_token":        {Token: "Lab Feed"},
		"audit_log_app":          {AppID: 3},
		"audit_log_action":       {Action: ActionTokenUpdate},
		"audit_log_at":           {From: day, To: day.AddDate(0, 0, 7)},
		"audit_log_actor_action": {Actor: "ada@example.com", Action: ActionTokenDelete},
		"audit_log_app_action":   {AppID: 3, Action: ActionTokenDelete},
		"audit_log_token_action": {Token: "Lab Feed", Action: ActionTokenUpdate},
	} {
		for page, q := range map[string]AuditQuery{
			"first": {Limit: 50, Filter: f}, "after": {Limit: 50, Filter: f, After: cur}, "before": {Limit: 50, Filter: f, Before: cur},
		} {
			query, args := auditQuery(q)
			p := plan(t, s, query, args...)
			if strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, "USING INDEX "+name+" ") {
				t.Errorf("%s, %s page: %s", name, page, p)
			}
		}
	}
	for name, q := range map[string]func() (string, []any){
		"reads": func() (string, []any) { return readsQuery(ReadFilter{}, nil, 100, nil) },
		"reads after": func() (string, []any) {
			return readsQuery(ReadFilter{}, nil, 100, &ReadCursor{Minute: 9, ClientID: 1, TokenID: 2, Outcome: "ok"})
		},
		"reads by client": func() (string, []any) { return readsQuery(ReadFilter{Client: 4, ByClient: true}, nil, 100, nil) },
		"reads by token": func() (string, []any) {
			return readsQuery(ReadFilter{Token: "Lab Feed"}, []int64{7}, 100, &ReadCursor{Minute: 9, ClientID: 1, TokenID: 7, Outcome: "ok"})
		},
		"refusals":         func() (string, []any) { return refusalsQuery(ReadFilter{}, 100, nil) },
		"refusals after":   func() (string, []any) { return refusalsQuery(ReadFilter{}, 100, &RefusalCursor{Minute: 9, ID: 3}) },
		"refusals client":  func() (string, []any) { return refusalsQuery(ReadFilter{Client: 0, ByClient: true}, 100, nil) },
		"refusals by name": func() (string, []any) { return refusalsQuery(ReadFilter{Token: "Lab Feed"}, 100, nil) },
	} {
		query, args := q()
		// api_reads is WITHOUT ROWID: its primary key is the table, in
		// (minute, client, token, outcome) order, so scanning it is reading
		// an index.
		p := plan(t, s, query, args...)
		if strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, "INDEX") && !strings.Contains(p, "PRIMARY KEY") && !strings.HasPrefix(p, "SCAN r;") {
			t.Errorf("%s: %s", name, p)
		}
	}
}

// Retention deletes what is older than the cutoff and nothing else, in
// transactions of at most one batch each.
func TestPruneAuditDeletesOnlyOldRowsInBatches(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	cutoff := now.AddDate(0, 0, -400)
	old, kept := cutoff.Add(-time.Minute), cutoff.Add(time.Minute)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for i := range 1234 {
			if err := insertAudit(ctx, tx, Audit{At: old.Add(-time.Duration(i) * time.Second), Actor: "old", Action: "x", Subject: "s"}); err != nil {
				return err
			}
		}
		for range 7 {
			if err := insertAudit(ctx, tx, Audit{At: kept, Actor: "new", Action: "x", Subject: "s"}); err != nil {
				return err
			}
		}
		for i := range 3 {
			if _, err := tx.Exec("INSERT INTO api_reads (minute, client_id, token_id, outcome, count) VALUES (?, 1, ?, 'ok', 5), (?, 1, ?, 'ok', 6)",
				old.Unix()/60, i, kept.Unix()/60, i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordRefusals(ctx, map[RefusalKey]RefusalCount{
		{Minute: old.Unix() / 60, Reason: RefusedBadKey, Address: "192.0.2.1"}:  {Count: 3, Last: old},
		{Minute: kept.Unix() / 60, Reason: RefusedBadKey, Address: "192.0.2.1"}: {Count: 2, Last: kept},
	}); err != nil {
		t.Fatal(err)
	}

	before := s.Writes()
	n, err := s.PruneAudit(ctx, cutoff, 500)
	if err != nil {
		t.Fatal(err)
	}
	count := func(q string) (n int) {
		if err := s.read.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n != 1234+3+1 {
		t.Errorf("pruned %d rows, want %d", n, 1234+3+1)
	}
	if got := count("SELECT count(*) FROM audit_log WHERE actor = 'new'"); got != 7 || count("SELECT count(*) FROM audit_log") != 7 {
		t.Errorf("audit entries left: %d new of %d", got, count("SELECT count(*) FROM audit_log"))
	}
	if got := count("SELECT coalesce(sum(count), 0) FROM api_reads"); got != 18 {
		t.Errorf("reads left: %d fetches, want the 18 within retention", got)
	}
	if got := count("SELECT coalesce(sum(count), 0) FROM api_refusals"); got != 2 {
		t.Errorf("refusals left: %d, want the 2 within retention", got)
	}
	// 1,234 entries are 3 batches of at most 500 (500, 500, 234); the
	// others one each, and one for the total cap of refusals.
	if txs := s.Writes() - before; txs != 3+1+1+1 {
		t.Errorf("%d transactions, want 6: one per batch", txs)
	}

	// A flood of refusals within retention is cut to the newest ones.
	flood := map[RefusalKey]RefusalCount{}
	for i := range 30 {
		flood[RefusalKey{Minute: now.Unix() / 60, Reason: RefusedBadKey, Address: fmt.Sprintf("198.51.100.%d", i)}] = RefusalCount{Count: 1, Last: now}
	}
	if err := s.RecordRefusals(ctx, flood); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pruneAudit(ctx, cutoff, 7, 10); err != nil {
		t.Fatal(err)
	}
	if got := count("SELECT count(*) FROM api_refusals"); got != 10 {
		t.Errorf("%d refusal rows kept, want the cap of 10", got)
	}
	if got := count("SELECT count(*) FROM api_refusals WHERE address = '192.0.2.1'"); got != 0 {
		t.Errorf("the oldest refusal survived the cap")
	}
}

// Entries written before migration 00004 named their token but not its
// app; migration 00016 gives them the app where the token tells it, and
// not where the token id was reused by a later token.
func TestMigrationGivesOldEntriesTheirApp(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	sub, _ := fs.Sub(migrations, "migrations")
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 9); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO apps (id, name, name_key, kind, created_at, created_by, updated_at) VALUES (7, 'Alpha', 'alpha', 'process', 0, 'x', 0)`,
		`INSERT INTO tokens (id, app_id, provider, name, name_key, created_at, created_by, updated_at, updated_by) VALUES (1, 7, 'redox', 'Feed', 'feed', 1000, 'x', 1000, 'x')`,
		`INSERT INTO tokens (id, app_id, provider, name, name_key, created_at, created_by, updated_at, updated_by) VALUES (2, 7, 'redox', 'Reused', 'reused', 5000, 'x', 5000, 'x')`,
		`INSERT INTO tokens (id, app_id, provider, name, name_key, created_at, created_by, updated_at, updated_by) VALUES (3, NULL, 'redox', 'Global', 'global', 1000, 'x', 1000, 'x')`,
		// before 00004: no app_id
		`INSERT INTO audit_log (id, at, actor, action, subject, token_id) VALUES (1, 2000, 'ada', 'token.update', 'Feed', 1)`,
		`INSERT INTO audit_log (id, at, actor, action, subject, token_id) VALUES (2, 2000, 'ada', 'token.update', 'Gone', 2)`, // token 2 was then another, deleted one
		`INSERT INTO audit_log (id, at, actor, action, subject, token_id) VALUES (3, 2000, 'ada', 'token.update', 'Global', 3)`,
		`INSERT INTO audit_log (id, at, actor, action, subject, token_id, app_id) VALUES (4, 2000, 'ada', 'token.delete', 'Other', 9, 8)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[int64]sql.NullInt64{}
	rows, err := db.Query("SELECT id, app_id FROM audit_log")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var app sql.NullInt64
		rows.Scan(&id, &app)
		got[id] = app
	}
	rows.Close()
	if got[1].Int64 != 7 || got[2].Valid || got[3].Valid || got[4].Int64 != 8 {
		t.Fatalf("app ids after the migration: %v", got)
	}
}
