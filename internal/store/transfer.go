package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tokendesk/tokendesk/internal/token"
)

// Audit actions of Import / Export.
const (
	ActionTokensExport = "tokens.export"
	ActionTokensImport = "tokens.import"
)

// PutImportDraft keeps an import's sealed preview until expires, and
// drops the drafts that have expired. A person has one waiting preview at
// a time: a new one replaces theirs (in any list), so that uploads cannot
// pile up sealed files on the server.
func (s *Store) PutImportDraft(ctx context.Context, id string, userID, scope int64, sealed []byte, expires time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM import_drafts WHERE expires_at < ?", ms(s.Now())); err != nil {
			return fmt.Errorf("store: import draft: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM import_drafts WHERE user_id = ?", userID); err != nil {
			return fmt.Errorf("store: import draft: %w", err)
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO import_drafts (id, user_id, scope, sealed, expires_at) VALUES (?, ?, ?, ?, ?)",
			id, userID, scope, sealed, ms(expires))
		if err != nil {
			return fmt.Errorf("store: import draft: %w", err)
		}
		return nil
	})
}

// ImportDraft reads the sealed preview id of userID in scope; ErrNotFound
// when there is none (another user's, another scope's, used or expired).
func (s *Store) ImportDraft(ctx context.Context, id string, userID, scope int64) ([]byte, error) {
	var sealed []byte
	err := s.read.QueryRowContext(ctx, "SELECT sealed FROM import_drafts WHERE id = ? AND user_id = ? AND scope = ? AND expires_at >= ?",
		id, userID, scope, ms(s.Now())).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: import draft: %w", err)
	}
	return sealed, nil
}

// importedDetail is the Detail of the audit entry of each token an import
// creates or replaces.
const importedDetail = "imported from a file"

// ImportItem is one token an import writes: a new token (Replace 0) or a
// new definition for token Replace, which must still be at Version.
type ImportItem struct {
	// Change is a new token's; Decide decides a replacement's from the
	// token as the import's transaction reads it (token.ImportReplace).
	// Without Decide a replacement is Change.
	Change  token.Change
	Decide  func(token.Current) (token.Change, error)
	Replace int64
	Version int64
	// Name and Provider are the replaced token's, as the preview planned
	// them: one now of another type is not replaced (ErrStale).
	Name, Provider string
	// Access, for a global token, replaces its Permission Settings (nil
	// leaves a replaced token's as they are, and a new one open to every app).
	Access *Access
}

// ImportTokens writes an import into scope appID in one transaction:
// every token or none. Each token is created or changed through the same
// apply path as a form and audited as such, with one entry for the import
// as a whole; draft is used up. ErrDuplicateName when a new token's name
// was taken since the preview, ErrStale when a replaced token was edited
// or removed since, ErrNotFound when the draft is gone. It returns the
// changes as written, in the items' order: what a replacement dropped
// (token.Change's Moved, NeedsSecret) is decided in the transaction, and
// the person is told.
func (s *Store) ImportTokens(ctx context.Context, appID int64, draft string, items []ImportItem, actor string) ([]token.Change, error) {
	if draft == "" {
		return nil, ErrNotFound
	}
	return s.importTokens(ctx, appID, draft, items, actor)
}

// ImportTokensFromShell is ImportTokens for `tokendesk import`, which has
// no preview waiting on the server: the command read the file and showed
// its preview itself, in the same process.
func (s *Store) ImportTokensFromShell(ctx context.Context, appID int64, items []ImportItem, actor string) ([]token.Change, error) {
	return s.importTokens(ctx, appID, "", items, actor)
}

func (s *Store) importTokens(ctx context.Context, appID int64, draft string, items []ImportItem, actor string) ([]token.Change, error) {
	now := s.Now()
	var written []token.Change
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if draft != "" {
			res, err := tx.ExecContext(ctx, "DELETE FROM import_drafts WHERE id = ? AND scope = ? AND expires_at >= ?", draft, appID, ms(now))
			if err != nil {
				return fmt.Errorf("store: importing: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return ErrNotFound // confirmed twice, or too late
			}
		}
		var err error
		var created, replaced []string
		for _, it := range items {
			ch := it.Change
			ch.AppID = appID
			id := it.Replace
			if id == 0 {
				if id, err = s.createToken(ctx, tx, ch, now, actor, importedDetail); err != nil {
					return err
				}
				created = append(created, ch.Name)
				written = append(written, ch)
			} else {
				decide, prov := it.Decide, it.Provider
				if decide == nil {
					decide, prov = func(token.Current) (token.Change, error) { return ch, nil }, ch.Provider
				}
				ed, err := s.updateToken(ctx, tx, id, it.Version, func(cur token.Current) (token.Change, error) {
					if cur.Token.AppID != appID || cur.Token.Provider != prov {
						return token.Change{}, ErrStale
					}
					ch, err := decide(cur)
					ch.AppID = appID
					return ch, err
				}, now, actor, tokenEdit{detail: importedDetail, replace: true})
				if err != nil {
					return err
				}
				replaced = append(replaced, ed.Change.Name)
				written = append(written, ed.Change)
			}
			if it.Access != nil && appID == 0 {
				if err := putAccess(ctx, tx, id, *it.Access); err != nil {
					return err
				}
			}
		}
		var detail []string
		if len(created) > 0 {
			detail = append(detail, "new: "+strings.Join(created, ", "))
		}
		if len(replaced) > 0 {
			detail = append(detail, "replaced: "+strings.Join(replaced, ", "))
		}
		return insertAudit(ctx, tx, Audit{At: now, Actor: actor, Action: ActionTokensImport, AppID: appID,
			Subject: fmt.Sprintf("%d access tokens", len(items)), Detail: strings.Join(detail, "; ")})
	})
	if err != nil {
		return nil, err
	}
	return written, nil
}

// putAccess replaces a global token's Permission Settings inside tx. Apps
// that no longer exist are skipped: a restriction never widens.
func putAccess(ctx context.Context, tx *sql.Tx, tokenID int64, a Access) error {
	for _, q := range []string{"DELETE FROM token_permissions WHERE token_id = ?", "DELETE FROM token_restrictions WHERE token_id = ?"} {
		if _, err := tx.ExecContext(ctx, q, tokenID); err != nil {
			return fmt.Errorf("store: permissions: %w", err)
		}
	}
	if !a.Restricted {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO token_restrictions (token_id) VALUES (?)", tokenID); err != nil {
		return fmt.Errorf("store: permissions: %w", err)
	}
	for _, app := range a.Apps {
		_, err := tx.ExecContext(ctx, `INSERT INTO token_permissions (token_id, app_id)
			SELECT ?, id FROM apps WHERE id = ? ON CONFLICT DO NOTHING`, tokenID, app)
		if err != nil {
			return fmt.Errorf("store: permissions: %w", err)
		}
	}
	return nil
}

// TokensByNames loads the tokens of scope appID whose names are, by
// token.NameKey, among names; the result is keyed by name key.
func (s *Store) TokensByNames(ctx context.Context, appID int64, names []string) (map[string]token.Token, error) {
	out := map[string]token.Token{}
	if len(names) == 0 {
		return out, nil
	}
	args := []any{appID}
	for _, n := range names {
		args = append(args, token.NameKey(n))
	}
	// ifnull(app_id, 0), as the name index has it (tokens_scope_name).
	rows, err := s.read.QueryContext(ctx, "SELECT "+tokenCols+" FROM tokens WHERE ifnull(app_id, 0) = ? AND name_key IN (?"+
		strings.Repeat(", ?", len(names)-1)+")", args...)
	if err != nil {
		return nil, fmt.Errorf("store: tokens by name: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out[token.NameKey(t.Name)] = t
	}
	return out, rows.Err()
}

// GlobalUse is a global token an app may use, and how often that app's
// API clients fetched it since a moment.
type GlobalUse struct {
	ID    int64
	Name  string
	Count int64
}

// GlobalsUsableBy finds the global tokens, among names (by token.NameKey),
// that app appID may use, with the fetches its API clients made of each
// since since (the read audit, served fetches only). An app token of such a
// name would shadow the global one: its clients would get the app's token
// instead. The result is keyed by name key.
func (s *Store) GlobalsUsableBy(ctx context.Context, appID int64, names []string, since time.Time) (map[string]GlobalUse, error) {
	out := map[string]GlobalUse{}
	if appID == 0 || len(names) == 0 {
		return out, nil
	}
	args := []any{appID, (since.Unix() + 59) / 60, ReadOK}
	for _, n := range names {
		args = append(args, token.NameKey(n))
	}
	rows, err := s.read.QueryContext(ctx, globalsUsableQuery(len(names)), args...)
	if err != nil {
		return nil, fmt.Errorf("store: global tokens an app uses: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g GlobalUse
		if err := rows.Scan(&g.ID, &g.Name, &g.Count); err != nil {
			return nil, fmt.Errorf("store: global tokens an app uses: %w", err)
		}
		out[token.NameKey(g.Name)] = g
	}
	return out, rows.Err()
}

// globalsUsableQuery finds n names (?4…) among the global tokens app ?1
// may use, with its served (?3) fetches since minute ?2. The name look-up
// reads tokens_scope_name, the count api_reads_token_page (token_id,
// minute, …), one token at a time.
func globalsUsableQuery(n int) string {
	in := make([]string, 0, n)
	for i := range n {
		in = append(in, "?"+strconv.Itoa(i+4))
	}
	return `SELECT t.id, t.name,
		(SELECT CAST(ifnull(sum(r.count), 0) AS BIGINT) FROM api_reads r JOIN api_clients c ON c.id = r.client_id
			WHERE r.token_id = t.id AND r.minute >= ?2 AND r.outcome = ?3 AND c.app_id = ?1)
		FROM tokens t WHERE ifnull(t.app_id, 0) = 0 AND t.name_key IN (` + strings.Join(in, ", ") + `) AND ` + allowedFor("?1")
}
