package store

import "testing"

// The one translation of the store's SQL for PostgreSQL: placeholders
// numbered as SQLite numbers them, quoted text and bodies left alone,
// SQLite's planner hint dropped.
func TestRebind(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT a FROM t WHERE x = ? AND y = ?", "SELECT a FROM t WHERE x = $1 AND y = $2"},
		{"UPDATE t SET a = ?1 WHERE b = ?2 AND c <= ?1", "UPDATE t SET a = $1 WHERE b = $2 AND c <= $1"},
		// A bare ? after ?N takes the next number after the largest so far.
		{"SELECT ?2, ?, ?1, ?", "SELECT $2, $3, $1, $4"},
		{"SELECT '?', \"a?\", ? -- why?\n, ?", "SELECT '?', \"a?\", $1 -- why?\n, $2"},
		{"SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"},
		{"CREATE FUNCTION f() AS $$ SELECT '?' $$; SELECT ?", "CREATE FUNCTION f() AS $$ SELECT '?' $$; SELECT $1"},
		{"SELECT count(*) FROM tokens INDEXED BY tokens_scope_failing WHERE failures > ?", "SELECT count(*) FROM tokens WHERE failures > $1"},
		{"SELECT * FROM tokens\n\t\tINDEXED BY tokens_expires WHERE 1", "SELECT * FROM tokens WHERE 1"},
	} {
		if got := rebind(tc.in); got != tc.want {
			t.Errorf("rebind(%q)\n got  %q\n want %q", tc.in, got, tc.want)
		}
	}
}
