package store

import (
	"strings"
	"testing"
)

// The queries behind /sessions, /users, /clients and an app's page
// (/apps/N), counts included, read an index: no scan of a table, no
// sorting of what they read (issue 18 item 9). The token list's own
// queries are TestListOrdersUseIndexes'; the other lists'
// TestOtherListsUseIndexes'.
func TestConsolePageQueriesUseIndexes(t *testing.T) {
	s := openTest(t)
	for name, tc := range map[string]struct {
		query string
		args  []any
		index string // the index the plan must name
		sorts bool   // may sort what it read: one app's few rows
	}{
		"a person's sessions (/sessions)":            {userSessionsQuery, []any{3, 1, 1}, "sessions_user_seen", false},
		"idle sessions swept":                        {idleSessionsQuery, []any{5}, "sessions_last_seen", false},
		"active administrators (demote, disable)":    {activeAdminsQuery, nil, "users_active_admins", false},
		"active designers (an app's page)":           {activeDesignersQuery, nil, "users_active_designers", false},
		"an app's designers (an app's page)":         {appDesignersQuery, []any{3}, "app_designers", true},
		"global tokens an app shadows (its page)":    {shadowedQuery, []any{3, 51}, "tokens_scope_name", false},
		"a user's session count (a user's page)":     {"SELECT count(*) FROM sessions WHERE user_id = ?", []any{3}, "sessions_user", false},
		"every user with session counts (ListUsers)": {"SELECT " + userListingCols + " FROM users u ORDER BY u.email", nil, "sqlite_autoindex_users_1", false},
	} {
		p := plan(t, s, tc.query, tc.args...)
		if strings.Contains(p, "TEMP B-TREE") && !tc.sorts || !strings.Contains(p, tc.index) || scansTable(p) {
			t.Errorf("%s: %s", name, p)
		}
	}
	// The users' and clients' pages, first, next and previous, and each
	// user's session count on them.
	for name, q := range map[string]func() (string, []any){
		"users first":   func() (string, []any) { return usersPageQuery(100, "", "") },
		"users after":   func() (string, []any) { return usersPageQuery(100, "m@x", "") },
		"users back":    func() (string, []any) { return usersPageQuery(100, "", "m@x") },
		"clients first": func() (string, []any) { return clientPageQuery(0, 100, nil, nil) },
		"clients after": func() (string, []any) { return clientPageQuery(7, 100, &ClientCursor{Name: "x", ID: 3}, nil) },
		"clients back":  func() (string, []any) { return clientPageQuery(7, 100, nil, &ClientCursor{Name: "x", ID: 3}) },
		"usable first":  func() (string, []any) { return globalTokensForQuery(3, 50, "", false) },
	} {
		query, args := q()
		p := plan(t, s, query, args...)
		if strings.Contains(p, "TEMP B-TREE") || scansTable(p) || strings.Contains(query, "FROM sessions") && !strings.Contains(p, "sessions_user") {
			t.Errorf("%s: %s", name, p)
		}
	}
}

// scansTable reports a step of a plan that reads a whole table rather than
// an index ("SCAN users", not "SCAN users USING INDEX …").
func scansTable(plan string) bool {
	for _, step := range strings.Split(plan, "; ") {
		if strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, " USING ") {
			return true
		}
	}
	return false
}
