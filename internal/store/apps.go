package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tokendesk/tokendesk/internal/token"
)

// App kinds.
const (
	KindProcess = "process"
	KindForm    = "form"
)

// Audit actions on applications.
const (
	ActionAppCreate = "app.create"
	ActionAppUpdate = "app.update"
	ActionAppDelete = "app.delete"
)

// App is an application whose processes and forms use tokens.
type App struct {
	ID        int64
	Name      string
	Kind      string
	CreatedAt time.Time
	CreatedBy string
	// Designers are the users who design the app.
	Designers []User
	// Tokens counts the app-level tokens (in listings).
	Tokens int
}

// ErrDuplicateApp is returned for an application name already in use.
var ErrDuplicateApp = errors.New("store: an application with that name already exists")

// ErrAppKind is returned for an application kind other than KindProcess
// and KindForm, before anything is written (the console validates first;
// the database's CHECK constraint is the last guard, not the message).
var ErrAppKind = errors.New(`store: an application's kind is "process" or "form"`)

func checkAppKind(kind string) error {
	if kind != KindProcess && kind != KindForm {
		return fmt.Errorf("%w, not %q", ErrAppKind, kind)
	}
	return nil
}

// CreateApp adds an application with its designers.
func (s *Store) CreateApp(ctx context.Context, name, kind string, designers []int64, actor string) (App, error) {
	if err := checkAppKind(kind); err != nil {
		return App{}, err
	}
	var id int64
	now := ms(s.Now())
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, "INSERT INTO apps (name, name_key, kind, created_at, created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
			name, token.NameKey(name), kind, now, actor, now).Scan(&id)
		if isUniqueViolation(err) {
			return ErrDuplicateApp
		}
		if err != nil {
			return fmt.Errorf("store: creating app: %w", err)
		}
		if err := setDesigners(ctx, tx, id, designers); err != nil {
			return err
		}
		return insertAudit(ctx, tx, Audit{At: s.Now(), Actor: actor, Action: ActionAppCreate, Subject: name, AppID: id})
	})
	if err != nil {
		return App{}, err
	}
	return s.AppByID(ctx, id)
}

// UpdateApp renames an application, changes its kind and its designers.
func (s *Store) UpdateApp(ctx context.Context, id int64, name, kind string, designers []int64, actor string) error {
	if err := checkAppKind(kind); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE apps SET name = ?, name_key = ?, kind = ?, updated_at = ? WHERE id = ?",
			name, token.NameKey(name), kind, ms(s.Now()), id)
		if isUniqueViolation(err) {
			return ErrDuplicateApp
		}
		if err != nil {
			return fmt.Errorf("store: updating app: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM app_designers WHERE app_id = ?", id); err != nil {
			return fmt.Errorf("store: updating designers: %w", err)
		}
		if err := setDesigners(ctx, tx, id, designers); err != nil {
			return err
		}
		return insertAudit(ctx, tx, Audit{At: s.Now(), Actor: actor, Action: ActionAppUpdate, AppID: id, Subject: name})
	})
}

// setDesigners adds the users among ids that exist and are app designers;
// anything else a crafted form names is skipped (ON CONFLICT DO NOTHING
// does not cover a foreign key that points nowhere).
func setDesigners(ctx context.Context, tx *sql.Tx, appID int64, users []int64) error {
	for _, u := range users {
		if _, err := tx.ExecContext(ctx, "INSERT INTO app_designers (app_id, user_id) SELECT CAST(? AS BIGINT), id FROM users WHERE id = ? AND role = ? ON CONFLICT DO NOTHING", appID, u, RoleDesigner); err != nil {
			return fmt.Errorf("store: adding designer: %w", err)
		}
	}
	return nil
}

// appDesignersQuery reads an app's designers from its app_designers range.
var appDesignersQuery = "SELECT " + prefixed("u.", userCols) + " FROM users u JOIN app_designers d ON d.user_id = u.id WHERE d.app_id = ? ORDER BY u.email"

// AppByID loads an application with its designers.
func (s *Store) AppByID(ctx context.Context, id int64) (App, error) {
	var a App
	var created int64
	err := s.read.QueryRowContext(ctx, "SELECT id, name, kind, created_at, created_by FROM apps WHERE id = ?", id).
		Scan(&a.ID, &a.Name, &a.Kind, &created, &a.CreatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return App{}, ErrNotFound
	}
	if err != nil {
		return App{}, fmt.Errorf("store: app: %w", err)
	}
	a.CreatedAt = fromMS(created)
	rows, err := s.read.QueryContext(ctx, appDesignersQuery, id)
	if err != nil {
		return App{}, fmt.Errorf("store: app designers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return App{}, err
		}
		a.Designers = append(a.Designers, u)
	}
	return a, rows.Err()
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

// ListApps returns the applications a user may open, by name: all of them
// for designerID 0 (administrators), else the ones the user designs.
func (s *Store) ListApps(ctx context.Context, designerID int64) ([]App, error) {
	// The counts are kept by triggers (migration 00008): counting here
	// would read every token of every app.
	q := `SELECT a.id, a.name, a.kind, a.created_at, a.created_by, ifnull(c.total, 0)
	      FROM apps a LEFT JOIN scope_token_counts c ON c.scope = a.id`
	var args []any
	if designerID != 0 {
		q += " JOIN app_designers d ON d.app_id = a.id AND d.user_id = ?"
		args = append(args, designerID)
	}
	rows, err := s.read.QueryContext(ctx, q+" ORDER BY a.name_key", args...)
	if err != nil {
		return nil, fmt.Errorf("store: listing apps: %w", err)
	}
	defer rows.Close()
	var out []App
	for rows.Next() {
		var a App
		var created int64
		if err := rows.Scan(&a.ID, &a.Name, &a.Kind, &created, &a.CreatedBy, &a.Tokens); err != nil {
			return nil, fmt.Errorf("store: listing apps: %w", err)
		}
		a.CreatedAt = fromMS(created)
		out = append(out, a)
	}
	return out, rows.Err()
}

// DesignerEmails lists every application's designers, by app id.
func (s *Store) DesignerEmails(ctx context.Context) (map[int64][]string, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT d.app_id, u.email FROM app_designers d JOIN users u ON u.id = d.user_id ORDER BY u.email")
	if err != nil {
		return nil, fmt.Errorf("store: designers: %w", err)
	}
	defer rows.Close()
	out := map[int64][]string{}
	for rows.Next() {
		var app int64
		var email string
		if err := rows.Scan(&app, &email); err != nil {
			return nil, fmt.Errorf("store: designers: %w", err)
		}
		out[app] = append(out[app], email)
	}
	return out, rows.Err()
}

// IsDesigner reports whether the user designs the app.
func (s *Store) IsDesigner(ctx context.Context, appID, userID int64) (bool, error) {
	var one int
	err := s.read.QueryRowContext(ctx, "SELECT 1 FROM app_designers WHERE app_id = ? AND user_id = ?", appID, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// DeleteApp removes an application permanently with everything that is
// its own: its tokens (and their values and usage), its API clients, its
// designers and its entries in global tokens' permission settings. Global
// tokens stay. One transaction: all of it goes, or none. It returns the
// names of the tokens removed.
func (s *Store) DeleteApp(ctx context.Context, id int64, actor string) ([]string, error) {
	var names []string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var appName string
		if err := tx.QueryRowContext(ctx, "SELECT name FROM apps WHERE id = ?", id).Scan(&appName); errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return fmt.Errorf("store: deleting app: %w", err)
		}
		rows, err := tx.QueryContext(ctx, "SELECT id, name, provider FROM tokens WHERE app_id = ? ORDER BY name_key", id)
		if err != nil {
			return fmt.Errorf("store: deleting app: %w", err)
		}
		type gone struct {
			id             int64
			name, provider string
		}
		var tokens []gone
		for rows.Next() {
			var g gone
			if err := rows.Scan(&g.id, &g.name, &g.provider); err != nil {
				rows.Close()
				return fmt.Errorf("store: deleting app: %w", err)
			}
			tokens = append(tokens, g)
		}
		rows.Close()
		for _, g := range tokens {
			if _, err := tx.ExecContext(ctx, "DELETE FROM tokens WHERE id = ?", g.id); err != nil {
				return fmt.Errorf("store: deleting app token: %w", err)
			}
			if err := insertAudit(ctx, tx, Audit{At: s.Now(), Actor: actor, Action: ActionTokenDelete, Subject: g.name, TokenID: g.id, AppID: id, Provider: g.provider, Detail: "with application " + appName}); err != nil {
				return err
			}
			names = append(names, g.name)
		}
		for _, q := range []string{
			"DELETE FROM token_usage WHERE app_id = ?",
			"DELETE FROM apps WHERE id = ?", // cascades: designers, clients, permissions
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return fmt.Errorf("store: deleting app: %w", err)
			}
		}
		return insertAudit(ctx, tx, Audit{At: s.Now(), Actor: actor, Action: ActionAppDelete, Subject: appName,
			Detail: plural(len(tokens), "app-level token", "app-level tokens") + " removed"})
	})
	return names, err
}

// ErrUnknownApp is returned when permission settings name an application
// that does not exist (or was deleted while the form was open).
var ErrUnknownApp = errors.New("store: no such application")

// Access is a global token's Permission Settings: every app may use it,
// or (Restricted) only Apps, which may be none.
type Access struct {
	Restricted bool
	Apps       []int64
}

// Allows reports whether an app may use the token.
func (a Access) Allows(appID int64) bool {
	if !a.Restricted {
		return true
	}
	for _, id := range a.Apps {
		if id == appID {
			return true
		}
	}
	return false
}

// TokenAccess reads a global token's Permission Settings.
func (s *Store) TokenAccess(ctx context.Context, tokenID int64) (Access, error) {
	var a Access
	err := s.read.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM token_restrictions WHERE token_id = ?)", tokenID).Scan(&a.Restricted)
	if err != nil {
		return a, fmt.Errorf("store: permissions: %w", err)
	}
	a.Apps, err = s.TokenPermissions(ctx, tokenID)
	return a, err
}

// TokenPermissions lists the apps chosen in a global token's Permission
// Settings. Whether the choice applies at all is TokenAccess's Restricted.
func (s *Store) TokenPermissions(ctx context.Context, tokenID int64) ([]int64, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT app_id FROM token_permissions WHERE token_id = ? ORDER BY app_id", tokenID)
	if err != nil {
		return nil, fmt.Errorf("store: permissions: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// SetTokenPermissions replaces a global token's Permission Settings. Every
// app named must exist (ErrUnknownApp otherwise, and nothing changes): a
// restriction never widens because an app is missing.
func (s *Store) SetTokenPermissions(ctx context.Context, tokenID int64, a Access, actor string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var name, prov string
		if err := tx.QueryRowContext(ctx, "SELECT name, provider FROM tokens WHERE id = ? AND app_id IS NULL"+s.d.forUpdate(), tokenID).Scan(&name, &prov); errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return fmt.Errorf("store: permissions: %w", err)
		}
		for _, q := range []string{"DELETE FROM token_permissions WHERE token_id = ?", "DELETE FROM token_restrictions WHERE token_id = ?"} {
			if _, err := tx.ExecContext(ctx, q, tokenID); err != nil {
				return fmt.Errorf("store: permissions: %w", err)
			}
		}
		detail := "every app may use it"
		if a.Restricted {
			if _, err := tx.ExecContext(ctx, "INSERT INTO token_restrictions (token_id) VALUES (?)", tokenID); err != nil {
				return fmt.Errorf("store: permissions: %w", err)
			}
			var names []string
			for _, app := range a.Apps {
				var appName string
				if err := tx.QueryRowContext(ctx, "SELECT name FROM apps WHERE id = ?", app).Scan(&appName); errors.Is(err, sql.ErrNoRows) {
					return ErrUnknownApp
				} else if err != nil {
					return fmt.Errorf("store: permissions: %w", err)
				}
				res, err := tx.ExecContext(ctx, "INSERT INTO token_permissions (token_id, app_id) VALUES (?, ?) ON CONFLICT DO NOTHING", tokenID, app)
				if err != nil {
					return fmt.Errorf("store: permissions: %w", err)
				}
				if n, _ := res.RowsAffected(); n > 0 {
					names = append(names, appName)
				}
			}
			detail = "no app may use it"
			if len(names) > 0 {
				detail = "only " + strings.Join(names, ", ") + " may use it"
			}
		}
		return insertAudit(ctx, tx, Audit{At: s.Now(), Actor: actor, Action: "token.permissions", Subject: name, TokenID: tokenID, Provider: prov, Detail: detail})
	})
}

// allowedFor is the SQL condition under which app ?N may use global token t.
func allowedFor(param string) string {
	return `(NOT EXISTS (SELECT 1 FROM token_restrictions r WHERE r.token_id = t.id)
		OR EXISTS (SELECT 1 FROM token_permissions p WHERE p.token_id = t.id AND p.app_id = ` + param + `))`
}

// GlobalTokensFor lists up to limit global tokens an app may use, by
// name: those after the name key after, or (with back) the last ones
// before it; more says whether further tokens lie that way.
func (s *Store) GlobalTokensFor(ctx context.Context, appID int64, limit int, after string, back bool) (toks []token.Token, more bool, err error) {
	limit = max(limit, 1)
	q, args := globalTokensForQuery(appID, limit, after, back)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, fmt.Errorf("store: global tokens for app: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, false, err
		}
		toks = append(toks, t)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("store: global tokens for app: %w", err)
	}
	if more = len(toks) > limit; more {
		toks = toks[:limit]
	}
	if back {
		slices.Reverse(toks)
	}
	return toks, more, nil
}

// globalTokensForQuery walks the global scope of tokens_scope_name in
// order from a name key (one row more than limit).
func globalTokensForQuery(appID int64, limit int, from string, back bool) (string, []any) {
	cond, order := "", "t.name_key"
	args := []any{appID}
	switch {
	case back:
		cond, order = " AND t.name_key < ?2", "t.name_key DESC"
		args = append(args, from)
	case from != "":
		cond = " AND t.name_key > ?2"
		args = append(args, from)
	}
	return "SELECT " + tokenCols + ` FROM tokens t
		WHERE ifnull(t.app_id, 0) = 0` + cond + ` AND ` + allowedFor("?1") + `
		ORDER BY ` + order + ` LIMIT ` + strconv.Itoa(limit+1), args
}

// GlobalTokensOnlyFor names the global tokens that only this app may use:
// deleting the app leaves them usable by no app.
func (s *Store) GlobalTokensOnlyFor(ctx context.Context, appID int64) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT t.name FROM tokens t
		JOIN token_restrictions r ON r.token_id = t.id
		JOIN token_permissions p ON p.token_id = t.id AND p.app_id = ?
		WHERE NOT EXISTS (SELECT 1 FROM token_permissions o WHERE o.token_id = t.id AND o.app_id <> p.app_id)
		ORDER BY t.name_key`, appID)
	if err != nil {
		return nil, fmt.Errorf("store: tokens only for app: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// AppUse is one token an application fetched through the API.
type AppUse struct {
	TokenName string
	Global    bool
	Count     int64
	Last      time.Time
}

// AppAssociations lists the tokens an app's API clients fetched, most
// recent first (App Associations seen from the app).
func (s *Store) AppAssociations(ctx context.Context, appID int64) ([]AppUse, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT t.name, t.app_id IS NULL, u.count, u.last_used_at
		FROM token_usage u JOIN tokens t ON t.id = u.token_id
		WHERE u.app_id = ? ORDER BY u.last_used_at DESC, t.name_key`, appID)
	if err != nil {
		return nil, fmt.Errorf("store: app associations: %w", err)
	}
	defer rows.Close()
	var out []AppUse
	for rows.Next() {
		var u AppUse
		var last int64
		if err := rows.Scan(&u.TokenName, &u.Global, &u.Count, &last); err != nil {
			return nil, fmt.Errorf("store: app associations: %w", err)
		}
		u.Last = fromMS(last)
		out = append(out, u)
	}
	return out, rows.Err()
}
