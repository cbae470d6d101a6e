package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tokendesk/tokendesk/internal/token"
)

// TokenFilter narrows a token list.
type TokenFilter struct {
	AppID int64
	// Query: a name containing it, any case (token.NameKey); one or two
	// characters: a name starting with it (see SearchContainsMin).
	Query    string
	Provider string
	// Status keeps tokens in one renewal status (token.Status*) at Now.
	Status string
	// Retired are the providers whose vendor retired them: their tokens
	// show that instead of a renewal status, so Status never matches them,
	// except token.StatusRetired, which keeps just them.
	Retired []string
	Now     time.Time
	// Sort is one of the Sort* orders (default by name); Desc reverses it.
	Sort  string
	Desc  bool
	Limit int // 0: all
	// After or Before, from a TokenPage, asks for the page after its Last
	// or before its First token.
	After, Before *TokenCursor

	// dialect is the database asked (ListTokens sets it): the name search
	// is spelled for its index.
	dialect dialect
}

// List orders. Each is served by an index (see migrations 00001, 00004).
const (
	SortName    = "name"
	SortType    = "type"
	SortChanged = "changed"
)

// statusSQL selects the tokens token.Status would call status at now. It
// mirrors token.Status (TestStatusSQLAgreesWithStatus holds the two to
// each other for every declared status).
func statusSQL(status string, now time.Time) (string, []any, bool) {
	const (
		failing = "(failures > 0 AND renewal_rate != 'disabled')"
		expired = "(expires_at IS NOT NULL AND expires_at <= ?)"
		off     = "(renewal_rate IN ('disabled', ''))"
		// Every stored access token has an expiry (token.AssumedLifetime
		// when its service gave none): none means none was ever obtained.
		unconnected = "expires_at IS NULL"
		// About to expire with no renewal planned before then (token.Renewal.RenewalPlanned).
		soon = "(expires_at IS NOT NULL AND expires_at < ? AND NOT (next_renewal_at IS NOT NULL AND next_renewal_at < expires_at AND next_renewal_at > ?))"
	)
	// failing is both "Renewal failing" and "Needs attention"; attention
	// tells them apart (renewal stopped after failing for days).
	const attention = "attention_since IS NOT NULL"
	// Needs reconnect comes before every other status, and a refresh token
	// running out soon (Reconnect soon, "Reconnect within N days") before
	// the calm ones: after NOT reconnect, warn is its range (now, now+14 d].
	const (
		reconnect = "(needs_reconnect = 1 OR (refresh_expires_at IS NOT NULL AND refresh_expires_at <= ?))"
		warn      = "(refresh_expires_at IS NOT NULL AND refresh_expires_at <= ?)"
	)
	n, ss, w := ms(now), ms(now.Add(token.ExpiresSoon)), ms(now.Add(token.RefreshWarning))
	const secret = "needs_secret = 1"
	const troubled = "NOT " + reconnect + " AND NOT " + failing + " AND NOT " + secret
	const calm = troubled + " AND NOT " + unconnected + " AND NOT " + expired + " AND NOT " + warn
	switch status {
	case token.StatusNeedsReconnect:
		return reconnect, []any{n}, true
	case token.StatusFailing:
		return "NOT " + reconnect + " AND " + failing + " AND NOT " + attention, []any{n}, true
	case token.StatusAttention:
		return "NOT " + reconnect + " AND " + failing + " AND " + attention, []any{n}, true
	case token.StatusNeedsSecret:
		return "NOT " + reconnect + " AND NOT " + failing + " AND " + secret, []any{n}, true
	case token.StatusNotConnected:
		return troubled + " AND " + unconnected, []any{n}, true
	case token.StatusExpiredDisabled:
		return troubled + " AND " + expired + " AND " + off, []any{n, n}, true
	case token.StatusExpired:
		return troubled + " AND " + expired + " AND NOT " + off, []any{n, n}, true
	case token.StatusReconnectSoon:
		return troubled + " AND NOT " + unconnected + " AND NOT " + expired + " AND " + warn, []any{n, n, w}, true
	case token.StatusNotRenewed:
		return calm + " AND " + off, []any{n, n, w}, true
	case token.StatusExpiresSoon:
		// "expires_at > ?" restates NOT expired so that it bounds the range
		// of the expiry index too.
		return calm + " AND NOT " + off + " AND " + soon + " AND expires_at > ?", []any{n, n, w, ss, n, n}, true
	case token.StatusHealthy:
		return calm + " AND NOT " + off + " AND NOT " + soon, []any{n, n, w, ss, n}, true
	}
	return "", nil, false
}

// providerIn is the condition "the token's provider is one of provs"
// (never true for none).
func providerIn(provs []string) (string, []any) {
	if len(provs) == 0 {
		return "1 = 0", nil
	}
	args := make([]any, len(provs))
	for i, p := range provs {
		args[i] = p
	}
	return "provider IN (?" + strings.Repeat(", ?", len(provs)-1) + ")", args
}

// CountStatus counts the tokens of a scope that token.Status calls status
// (a renewal status) at now: what the list's Status filter would show. The
// list counts on every view, so each count reads only the tokens that can
// be in the status, from an index (countStatusSQL); the calm statuses,
// which most tokens are in, are not counted this way.
//
// retired are the providers whose vendor retired them: their tokens show
// that instead (see TokenFilter.Retired), so they are not counted.
func (s *Store) CountStatus(ctx context.Context, appID int64, status string, now time.Time, retired ...string) (int, error) {
	queries, ok := countStatusSQL(appID, status, now, retired)
	if !ok {
		return 0, fmt.Errorf("store: counting tokens: no count of status %q", status)
	}
	total := 0
	for _, q := range queries {
		var n int
		// Prepared once: the list makes these counts on every view.
		if err := s.queryRow(ctx, q.query, q.args...).Scan(&n); err != nil {
			return 0, fmt.Errorf("store: counting %s tokens: %w", status, err)
		}
		total += n
	}
	return total, nil
}

type countQuery struct {
	index string // the index it reads
	query string
	args  []any
}

// countStatusSQL is how CountStatus counts status: one or two counts, each
// over a range of an index holding only the tokens that can be in it
// (migrations 00004, 00022), restricted by statusSQL's own condition.
func countStatusSQL(appID int64, status string, now time.Time, retired []string) ([]countQuery, bool) {
	if status == token.StatusRetired {
		if len(retired) == 0 {
			return nil, true
		}
		cond, args := providerIn(retired)
		return []countQuery{{index: "tokens_scope_provider",
			query: "SELECT count(*) FROM tokens INDEXED BY tokens_scope_provider WHERE ifnull(app_id, 0) = ? AND " + cond,
			args:  append([]any{appID}, args...)}}, true
	}
	cond, args, ok := statusSQL(status, now)
	if !ok {
		return nil, false
	}
	if len(retired) > 0 {
		cond += " AND provider NOT IN (?" + strings.Repeat(", ?", len(retired)-1) + ")"
		for _, p := range retired {
			args = append(args, p)
		}
	}
	n := ms(now)
	one := func(index, narrow string, nargs ...any) countQuery {
		return countQuery{index: index,
			query: "SELECT count(*) FROM tokens INDEXED BY " + index + " WHERE ifnull(app_id, 0) = ? AND " + narrow + " AND " + cond,
			args:  append(append([]any{appID}, nargs...), args...)}
	}
	switch status {
	case token.StatusNeedsReconnect:
		// A grant refused for good, or (the others) a refresh token run out.
		return []countQuery{
			one("tokens_scope_needs_reconnect", "needs_reconnect = 1"),
			one("tokens_scope_refresh", "refresh_expires_at IS NOT NULL AND refresh_expires_at <= ? AND needs_reconnect != 1", n),
		}, true
	case token.StatusFailing, token.StatusAttention:
		return []countQuery{one("tokens_scope_failing", "failures > 0")}, true
	case token.StatusExpired:
		return []countQuery{one("tokens_scope_expires_on", "renewal_rate != 'disabled' AND expires_at IS NOT NULL AND expires_at <= ?", n)}, true
	case token.StatusExpiredDisabled:
		return []countQuery{expiredOffCount(appID, now, retired)}, true
	case token.StatusExpiresSoon:
		return []countQuery{one("tokens_scope_expires_on", "renewal_rate != 'disabled' AND expires_at IS NOT NULL AND expires_at > ? AND expires_at < ?", n, ms(now.Add(token.ExpiresSoon)))}, true
	case token.StatusNotConnected:
		return []countQuery{one("tokens_scope_unconnected", "expires_at IS NULL")}, true
	case token.StatusNeedsSecret:
		return []countQuery{one("tokens_scope_needs_secret", "needs_secret = 1")}, true
	case token.StatusReconnectSoon:
		return []countQuery{one("tokens_scope_refresh", "refresh_expires_at IS NOT NULL AND refresh_expires_at > ? AND refresh_expires_at <= ?",
			n, ms(now.Add(token.RefreshWarning)))}, true
	}
	return nil, false
}

// expiredOffCount counts Expired, renewals Disabled: the tokens not renewed
// whose access token expired, all of them the range of their index,
// counted without testing each (thousands, in an installation that keeps
// disabled tokens around), less those of them in a status that comes
// first (needs reconnect, failing, needs secret), found from those
// statuses' own few entries. It is statusSQL's condition, counted the
// other way round.
func expiredOffCount(appID int64, now time.Time, retired []string) countQuery {
	n := ms(now)
	kept, keptArgs := "", []any(nil)
	if len(retired) > 0 {
		kept = " AND provider NOT IN (?" + strings.Repeat(", ?", len(retired)-1) + ")"
		for _, p := range retired {
			keptArgs = append(keptArgs, p)
		}
	}
	const expiredOff = offRates + " AND expires_at IS NOT NULL AND expires_at <= ?"
	all := "SELECT count(*) FROM tokens INDEXED BY tokens_scope_expired_off WHERE ifnull(app_id, 0) = ? AND " + expiredOff + kept
	// The arms are failing's, reconnect's and secret's in statusSQL.
	before := "SELECT count(*) FROM tokens WHERE id IN (" +
		"SELECT id FROM tokens INDEXED BY tokens_scope_needs_reconnect WHERE ifnull(app_id, 0) = ? AND needs_reconnect = 1" +
		" UNION SELECT id FROM tokens INDEXED BY tokens_scope_refresh WHERE ifnull(app_id, 0) = ? AND refresh_expires_at IS NOT NULL AND refresh_expires_at <= ?" +
		" UNION SELECT id FROM tokens INDEXED BY tokens_scope_failing WHERE ifnull(app_id, 0) = ? AND failures > 0 AND renewal_rate != 'disabled'" +
		" UNION SELECT id FROM tokens INDEXED BY tokens_scope_needs_secret WHERE ifnull(app_id, 0) = ? AND needs_secret = 1" +
		") AND " + expiredOff + kept
	args := append([]any{appID, n}, keptArgs...)
	args = append(append(args, appID, appID, n, appID, appID, n), keptArgs...)
	return countQuery{index: "tokens_scope_expired_off", query: "SELECT (" + all + ") - (" + before + ")", args: args}
}

const tokenCols = `id, ifnull(app_id, 0), provider, name, description, encrypted, renewal_rate, version,
	created_at, created_by, updated_at, updated_by,
	expires_at, last_renewed_at, next_renewal_at, failures, last_error, last_error_at, needs_reconnect, refresh_expires_at, attention_since, needs_secret, rejected_hash`

func scanToken(row interface{ Scan(...any) error }) (token.Token, error) {
	var t token.Token
	var created, updated int64
	var expires, renewed, next, errAt, refreshExp, attention sql.NullInt64
	err := row.Scan(&t.ID, &t.AppID, &t.Provider, &t.Name, &t.Description, &t.Encrypted, &t.Rate, &t.Version,
		&created, &t.CreatedBy, &updated, &t.UpdatedBy,
		&expires, &renewed, &next, &t.Failures, &t.LastError, &errAt, &t.NeedsReconnect, &refreshExp, &attention, &t.NeedsSecret, &t.Rejection)
	if errors.Is(err, sql.ErrNoRows) {
		return token.Token{}, ErrNotFound
	}
	if err != nil {
		return token.Token{}, fmt.Errorf("store: token: %w", err)
	}
	t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
	t.ExpiresAt, t.LastRenewedAt, t.NextRenewalAt, t.LastErrorAt = fromNullMS(expires), fromNullMS(renewed), fromNullMS(next), fromNullMS(errAt)
	t.RefreshExpiresAt = fromNullMS(refreshExp)
	t.AttentionSince = fromNullMS(attention)
	return t, nil
}

func valueAAD(tokenID int64, field string) string {
	return "tokendesk/token/" + strconv.FormatInt(tokenID, 10) + "/" + field
}

// CreateToken stores a new token and its values, and audits it, in one
// transaction. ErrDuplicateName when the scope already has the name.
func (s *Store) CreateToken(ctx context.Context, ch token.Change, actor string) (token.Token, error) {
	now := s.Now()
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) (err error) {
		id, err = s.createToken(ctx, tx, ch, now, actor, "")
		return err
	})
	if err != nil {
		return token.Token{}, err
	}
	return s.TokenByID(ctx, id)
}

// createToken is CreateToken's work inside tx, which an import shares:
// detail goes to the audit entry ("" from the form).
func (s *Store) createToken(ctx context.Context, tx *sql.Tx, ch token.Change, now time.Time, actor, detail string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `
		INSERT INTO tokens (app_id, provider, name, name_key, description, encrypted, renewal_rate,
		                    created_at, created_by, updated_at, updated_by, needs_secret)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		nullID(ch.AppID), ch.Provider, ch.Name, token.NameKey(ch.Name), ch.Description,
		ch.Encrypted, ch.Rate, ms(now), actor, ms(now), actor, ch.NeedsSecret).Scan(&id)
	if isUniqueViolation(err) {
		return 0, ErrDuplicateName
	}
	if err != nil {
		return 0, fmt.Errorf("store: creating token: %w", err)
	}
	if _, err := s.apply(ctx, tx, id, ch, nil, false, now, actor); err != nil {
		return 0, err
	}
	if err := schedule(ctx, tx, id, ch.Renewable, now); err != nil {
		return 0, err
	}
	return id, insertAudit(ctx, tx, Audit{At: now, Actor: actor, Action: ActionTokenCreate, Detail: detail,
		Subject: ch.Name, TokenID: id, AppID: ch.AppID, Provider: ch.Provider, Fields: createdFields(ch)})
}

func createdFields(ch token.Change) []string {
	fields := []string{"name"}
	if ch.Description != "" {
		fields = append(fields, "description")
	}
	for _, k := range ch.Fields() {
		if ch.Set[k] != "" {
			fields = append(fields, k)
		}
	}
	return fields
}

// UpdateToken applies ch to token id if it is still at version expect.
// It returns the keys of the fields that changed. ErrStale when someone
// saved the token meanwhile; nothing is written then. It is EditToken
// with a change decided before the token was read.
func (s *Store) UpdateToken(ctx context.Context, id, expect int64, ch token.Change, actor string) (token.Token, []string, error) {
	ed, err := s.EditToken(ctx, id, expect, actor, func(token.Current) (token.Change, error) { return ch, nil })
	return ed.Token, ed.Changed, err
}

// Edited is what EditToken wrote.
type Edited struct {
	Token   token.Token  // as saved
	Changed []string     // the fields that changed, as audited
	Change  token.Change // what decide decided
	// Values are the token's values as stored now, for the caller that
	// uses them next (a save's test): they are not read again.
	Values map[string]string
}

// EditToken changes token id if it is still at version expect: inside one
// transaction it reads the token under lock with its values (opened
// once), asks decide what the change is (a token.Save, token.KeyEdit, …),
// and writes that. ErrStale when someone saved the token meanwhile; an
// error from decide (a token.Refused) is returned as it is. Nothing is
// written then.
func (s *Store) EditToken(ctx context.Context, id, expect int64, actor string, decide func(token.Current) (token.Change, error)) (Edited, error) {
	now := s.Now()
	var ed Edited
	err := s.tx(ctx, func(tx *sql.Tx) (err error) {
		ed, err = s.updateToken(ctx, tx, id, expect, decide, now, actor, tokenEdit{})
		return err
	})
	if err != nil {
		return Edited{}, err
	}
	ed.Token, err = s.TokenByID(ctx, id)
	return ed, err
}

// tokenEdit is how updateToken's callers differ: the form's Save (the
// zero value) or an import replacing a token.
type tokenEdit struct {
	detail string // the audit entry's Detail
	// replace: the token is replaced by an import, planned from a preview.
	// It must still exist, in ch's scope and for ch's provider (ErrStale
	// otherwise); every kept value is sealed again; and it is rescheduled
	// and audited even when no field changed.
	replace bool
}

// updateToken is EditToken's work inside tx, which an import shares.
func (s *Store) updateToken(ctx context.Context, tx *sql.Tx, id, expect int64, decide func(token.Current) (token.Change, error), now time.Time, actor string, how tokenEdit) (Edited, error) {
	old, err := scanToken(tx.QueryRowContext(ctx, "SELECT "+tokenCols+" FROM tokens WHERE id = ?"+s.d.forUpdate(), id))
	if how.replace && errors.Is(err, ErrNotFound) {
		return Edited{}, ErrStale // removed since the preview
	}
	if err != nil {
		return Edited{}, err
	}
	oldValues, err := s.readValues(ctx, tx, id)
	if err != nil {
		return Edited{}, err
	}
	// Decided before the version is compared: input refused against what
	// is stored now is refused whether or not someone saved meanwhile.
	ch, err := decide(token.Current{Token: old, Values: oldValues})
	if err != nil {
		return Edited{}, err
	}
	if old.Version != expect {
		return Edited{}, ErrStale
	}
	if how.replace && (old.AppID != ch.AppID || old.Provider != ch.Provider) {
		return Edited{}, ErrStale
	}
	changed := changedFields(old, oldValues, ch)
	ed := Edited{Changed: changed, Change: ch}

	_, err = tx.ExecContext(ctx, `
		UPDATE tokens SET name = ?, name_key = ?, description = ?, encrypted = ?, renewal_rate = ?,
		       version = version + 1, updated_at = ?, updated_by = ?, needs_secret = ?
		WHERE id = ? AND version = ?`,
		ch.Name, token.NameKey(ch.Name), ch.Description, ch.Encrypted, ch.Rate, ms(now), actor, ch.NeedsSecret, id, expect)
	if isUniqueViolation(err) {
		return Edited{}, ErrDuplicateName
	}
	if err != nil {
		return Edited{}, fmt.Errorf("store: updating token: %w", err)
	}
	// Values switch between sealed and plain when Encrypt changes; an
	// import seals every kept value again under the token's id and setting.
	if ed.Values, err = s.apply(ctx, tx, id, ch, oldValues, how.replace || old.Encrypted != ch.Encrypted, now, actor); err != nil {
		return Edited{}, err
	}
	if err := s.rescheduleEdit(ctx, tx, id, old.Renewal, ch, len(changed) > 0 || how.replace, now); err != nil {
		return Edited{}, err
	}
	if len(changed) == 0 && !how.replace {
		return ed, nil
	}
	if len(changed) > 0 {
		if err := enqueueToken(ctx, tx, EventTokenChanged, id, now, func(ev *TokenEvent) {
			ev.Action, ev.Fields, ev.By = "updated", changed, actor
		}); err != nil {
			return Edited{}, err
		}
	}
	return ed, insertAudit(ctx, tx, Audit{At: now, Actor: actor, Action: ActionTokenUpdate, Detail: how.detail,
		Subject: ch.Name, TokenID: id, AppID: old.AppID, Provider: old.Provider, Fields: changed})
}

// changedFields names what ch changes on a token, in the audit log's order:
// settings, then set values, then values a person cleared.
func changedFields(old token.Token, oldValues map[string]string, ch token.Change) []string {
	var changed []string
	if old.Name != ch.Name {
		changed = append(changed, "name")
	}
	if old.Description != ch.Description {
		changed = append(changed, "description")
	}
	if old.Rate != ch.Rate {
		changed = append(changed, "renewal_rate")
	}
	if old.Encrypted != ch.Encrypted {
		changed = append(changed, "encrypt")
	}
	for _, k := range ch.Fields() {
		if v, ok := oldValues[k]; !ok || v != ch.Set[k] {
			changed = append(changed, k)
		}
	}
	for _, k := range ch.Clear {
		if _, ok := oldValues[k]; ok {
			changed = append(changed, k)
		}
	}
	return changed
}

// apply writes a change's values and grant to token id inside tx: the one
// path every write of a token's values takes (create, edit, renewal).
// oldValues are the values stored before (nil for a new token); reseal
// rewrites every kept value, when the token's Encrypt setting changed.
// It returns the token's values as stored now.
func (s *Store) apply(ctx context.Context, tx *sql.Tx, id int64, ch token.Change, oldValues map[string]string, reseal bool, now time.Time, actor string) (map[string]string, error) {
	if ch.Grant != nil {
		// The failures this grant ends decide whether it is a recovery.
		var before token.Renewal
		var attention sql.NullInt64
		if err := tx.QueryRowContext(ctx, "SELECT failures, attention_since FROM tokens WHERE id = ?", id).Scan(&before.Failures, &attention); err != nil {
			return nil, fmt.Errorf("store: recording grant: %w", err)
		}
		before.AttentionSince = fromNullMS(attention)
		g := token.AfterGrant(before, ch, now)
		_, err := tx.ExecContext(ctx, `UPDATE tokens SET expires_at = ?, last_renewed_at = ?, failures = 0, last_error = '', last_error_at = NULL,
			       failing_since = NULL, attention_since = NULL WHERE id = ?`,
			nullMS(g.ExpiresAt), ms(now), id)
		if err != nil {
			return nil, fmt.Errorf("store: recording grant: %w", err)
		}
		// A grant is also a reconnection.
		if _, err := tx.ExecContext(ctx, "UPDATE tokens SET needs_reconnect = 0 WHERE id = ? AND needs_reconnect != 0", id); err != nil {
			return nil, fmt.Errorf("store: recording grant: %w", err)
		}
		if g.NewRefresh {
			if _, err := tx.ExecContext(ctx, "UPDATE tokens SET refresh_expires_at = ? WHERE id = ?", nullMS(g.RefreshExpiresAt), id); err != nil {
				return nil, fmt.Errorf("store: recording grant: %w", err)
			}
		}
		if g.Recovered {
			if err := enqueueToken(ctx, tx, EventRenewalRecovered, id, now, nil); err != nil {
				return nil, err
			}
		}
	}
	if ch.ForgetExpiry {
		if _, err := tx.ExecContext(ctx, "UPDATE tokens SET expires_at = NULL WHERE id = ?", id); err != nil {
			return nil, fmt.Errorf("store: updating token: %w", err)
		}
	}
	if ch.Publish {
		if err := putJWKS(ctx, tx, id, ch.Published, now); err != nil {
			return nil, err
		}
	}
	values := maps.Clone(oldValues)
	if values == nil {
		values = map[string]string{}
	}
	for _, k := range slices.Concat(ch.Clear, ch.Forget) {
		if _, set := ch.Set[k]; set {
			continue
		}
		delete(values, k)
		if _, err := tx.ExecContext(ctx, "DELETE FROM token_values WHERE token_id = ? AND field = ?", id, k); err != nil {
			return nil, fmt.Errorf("store: clearing value: %w", err)
		}
	}
	maps.Copy(values, ch.Set)
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if _, set := ch.Set[k]; set || reseal {
			if err := s.putValue(ctx, tx, id, k, values[k], ch.Encrypted, ms(now), actor); err != nil {
				return nil, err
			}
		}
	}
	// A stored access token always has an expiry: an unknown one is never
	// "for ever" (the change's Lifetime from when it was stored). Without
	// an access token there is none ("Not connected yet").
	_, err := tx.ExecContext(ctx, `UPDATE tokens SET expires_at = CASE
		    WHEN EXISTS (SELECT 1 FROM token_values WHERE token_id = ?1 AND field = ?2) THEN ifnull(expires_at, CAST(?3 AS BIGINT)) END
		WHERE id = ?1`, id, AccessField, ms(ch.Expiry(now)))
	if err != nil {
		return nil, fmt.Errorf("store: recording expiry: %w", err)
	}
	return values, nil
}

// AccessField is where every provider keeps its access token
// (provider.TokenFields.Access; a test holds every provider to it), so
// that the store can keep the rule that a stored access token has an
// expiry.
const AccessField = "access_token"

// putValue writes one value, sealed unless the token stores plain text.
// The updated stamp only moves when the value really changes.
func (s *Store) putValue(ctx context.Context, tx *sql.Tx, tokenID int64, field, value string, encrypted bool, now int64, actor string) error {
	stored := []byte(value)
	var keyID sql.NullInt64
	if encrypted {
		var err error
		if stored, keyID.Int64, err = s.sealValue(ctx, tx, []byte(value), valueAAD(tokenID, field)); err != nil {
			return err
		}
		keyID.Valid = true
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO token_values (token_id, field, value, sealed, updated_at, updated_by, key_id)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (token_id, field) DO UPDATE SET value = excluded.value, sealed = excluded.sealed,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by, key_id = excluded.key_id`,
		tokenID, field, stored, encrypted, now, actor, keyID)
	if err != nil {
		return fmt.Errorf("store: writing value: %w", err)
	}
	return nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// readValues opens every stored value of a token. A value that does not
// open is an error: silently returning garbage or nothing would hide
// tampering or a wrong key.
func (s *Store) readValues(ctx context.Context, q querier, tokenID int64) (map[string]string, error) {
	return s.readValuesOf(ctx, q, tokenID, nil)
}

// readValuesOf reads and opens the values of fields (all when none).
// The rows are read to the end before any value is opened: opening one may
// load its data key from the database, which must not wait for a second
// connection while this query holds one (with every pooled connection held
// that way, the waits never end). Inside a transaction the key is read
// through it, for the same reason.
func (s *Store) readValuesOf(ctx context.Context, q querier, tokenID int64, fields []string) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, valuesQuery, tokenID)
	if err != nil {
		return nil, fmt.Errorf("store: reading values: %w", err)
	}
	type stored struct {
		field  string
		value  []byte
		sealed bool
	}
	var all []stored
	for rows.Next() {
		var v stored
		if err := rows.Scan(&v.field, &v.value, &v.sealed); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: reading values: %w", err)
		}
		if len(fields) > 0 && !slices.Contains(fields, v.field) {
			continue
		}
		all = append(all, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: reading values: %w", err)
	}
	keys := rowQuerier(s.read)
	if tx, ok := q.(rowQuerier); ok {
		keys = tx
	}
	out := make(map[string]string, len(all))
	for _, v := range all {
		if v.sealed {
			plain, err := s.openValue(ctx, keys, v.value, valueAAD(tokenID, v.field))
			if err != nil {
				return nil, fmt.Errorf("store: token %d field %s: %w", tokenID, v.field, err)
			}
			v.value = plain
		}
		out[v.field] = string(v.value)
	}
	return out, nil
}

// TokenValues returns a token's stored values, decrypted. Only code that
// uses the credentials (provider calls, the runtime API) may call it.
func (s *Store) TokenValues(ctx context.Context, id int64) (map[string]string, error) {
	st, err := s.readStmt(ctx, valuesQuery)
	if err != nil {
		return nil, err
	}
	return s.readValues(ctx, stmtQuerier{st}, id)
}

const valuesQuery = "SELECT field, value, sealed FROM token_values WHERE token_id = ?"

type stmtQuerier struct{ st *sql.Stmt }

func (q stmtQuerier) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return q.st.QueryContext(ctx, args...)
}

// TokenValuesOf is TokenValues limited to fields: the other sealed
// values are not opened. No fields means all of them.
func (s *Store) TokenValuesOf(ctx context.Context, id int64, fields []string) (map[string]string, error) {
	st, err := s.readStmt(ctx, valuesQuery)
	if err != nil {
		return nil, err
	}
	return s.readValuesOf(ctx, stmtQuerier{st}, id, fields)
}

// TokenByID loads a token with the stamps of its stored values.
func (s *Store) TokenByID(ctx context.Context, id int64) (token.Token, error) {
	t, err := scanToken(s.read.QueryRowContext(ctx, "SELECT "+tokenCols+" FROM tokens WHERE id = ?", id))
	if err != nil {
		return t, err
	}
	rows, err := s.read.QueryContext(ctx, "SELECT field, updated_at, updated_by FROM token_values WHERE token_id = ?", id)
	if err != nil {
		return t, fmt.Errorf("store: token values: %w", err)
	}
	defer rows.Close()
	t.Stored = map[string]token.Stamp{}
	for rows.Next() {
		var field, by string
		var at int64
		if err := rows.Scan(&field, &at, &by); err != nil {
			return t, fmt.Errorf("store: token values: %w", err)
		}
		t.Stored[field] = token.Stamp{At: fromMS(at), By: by}
	}
	return t, rows.Err()
}

// ListTokens returns one page of the tokens of one scope matching f, in
// f's order, read from an index: the page starts after f.After (or ends
// before f.Before), so that no page costs more than the ones before it.
func (s *Store) ListTokens(ctx context.Context, f TokenFilter) ([]token.Token, TokenPage, error) {
	f.dialect = s.d
	nw, err := s.chooseNarrowing(ctx, f)
	if err != nil {
		return nil, TokenPage{}, err
	}
	if nw.index == "" {
		// Left to the order's index: a search of many names reads its
		// rarest trigram's names instead, where it can.
		tw, ok, err := s.trigramWalk(ctx, f)
		if err != nil {
			return nil, TokenPage{}, err
		}
		if ok {
			nw = tw
		}
	}
	query, args := tokenListQueryBy(f, nw)
	rows, err := s.listQuery(ctx, query, args...)
	if err != nil {
		return nil, TokenPage{}, fmt.Errorf("store: listing tokens: %w", err)
	}
	defer rows.Close()
	var out []token.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, TokenPage{}, err
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, TokenPage{}, fmt.Errorf("store: listing tokens: %w", err)
	}
	more := f.Limit > 0 && len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	var pg TokenPage
	back := f.Before != nil
	if back {
		slices.Reverse(out)
		pg.HasPrev, pg.HasNext = more, true
	} else {
		pg.HasPrev, pg.HasNext = f.After != nil, more
	}
	if len(out) > 0 {
		pg.First, pg.Last = TokenCursorOf(out[0]), TokenCursorOf(out[len(out)-1])
	} else if back {
		// Nothing before the cursor any more (tokens went): start over.
		pg.HasNext = false
	}
	return out, pg, nil
}

// A filtered list can be read two ways: walk the index of its order and
// skip what does not match (cheap when matches are dense), or read the
// matches from the index of a narrowing condition (a name prefix, an
// expiry range, the failing tokens) and sort them (cheap when they are
// few). The list picks by counting, at most to a threshold, the entries of
// each narrowing range, and takes the smallest; INDEXED BY then holds
// SQLite to that plan, whatever statistics it has. At the threshold
// sqrt(pageSize × scope) both ways read about as many rows.

// narrowing is a condition of a list's filter that ranges over an index
// of its own: the index, the condition restated for it (a partial index
// is used only where the query says what it holds), and its arguments.
type narrowing struct {
	index, cond string
	args        []any
}

// listNarrowings are the narrowing conditions of f, its status's before
// its search's (a status's indexes are small, and counted without
// reading the search index).
func listNarrowings(f TokenFilter) []narrowing {
	var out []narrowing
	n, ss := ms(f.Now), ms(f.Now.Add(token.ExpiresSoon))
	switch f.Status {
	case token.StatusNeedsReconnect:
		// The few tokens migration 00017 indexes (sort by Status reads this
		// status first, whatever the filter).
		out = append(out, narrowing{"tokens_reconnect", "(needs_reconnect = 1 OR refresh_expires_at IS NOT NULL)", nil})
	case token.StatusFailing, token.StatusAttention:
		out = append(out, narrowing{"tokens_scope_failing", "failures > 0", nil})
	case token.StatusNeedsSecret:
		out = append(out, narrowing{"tokens_scope_needs_secret", "needs_secret = 1", nil})
	case token.StatusExpired:
		out = append(out, narrowing{"tokens_scope_expires_on", "renewal_rate != 'disabled' AND expires_at IS NOT NULL AND expires_at <= ?", []any{n}})
	case token.StatusExpiredDisabled:
		out = append(out, narrowing{"tokens_scope_expired_off", offRates + " AND expires_at IS NOT NULL AND expires_at <= ?", []any{n}})
	case token.StatusNotRenewed:
		out = append(out, narrowing{"tokens_scope_expired_off", offRates + " AND expires_at IS NOT NULL AND expires_at > ?", []any{n}})
	case token.StatusNotConnected:
		out = append(out, narrowing{"tokens_scope_unconnected", "expires_at IS NULL", nil})
	case token.StatusExpiresSoon:
		out = append(out, narrowing{"tokens_scope_expires_on", "renewal_rate != 'disabled' AND expires_at IS NOT NULL AND expires_at > ? AND expires_at < ?", []any{n, ss}})
	case token.StatusRetired:
		// The retired providers' few tokens, from the provider index: the
		// name index would be walked whole to find none.
		cond, a := providerIn(f.Retired)
		out = append(out, narrowing{"tokens_scope_provider", cond, a})
	case token.StatusReconnectSoon:
		out = append(out, narrowing{"tokens_scope_refresh", "refresh_expires_at IS NOT NULL AND refresh_expires_at > ? AND refresh_expires_at <= ?", []any{n, ms(f.Now.Add(token.RefreshWarning))}})
	}
	if q, contains := nameSearch(f.Query); contains {
		out = append(out, narrowing{index: searchNarrowing})
	} else if q != "" && f.Sort != SortType && f.Sort != SortChanged {
		// The name order's index is the prefix range itself.
	} else if q != "" {
		out = append(out, narrowing{"tokens_scope_name", "name_key >= ? AND name_key < ?", []any{q, q + "\U0010FFFF"}})
	}
	return out
}

// offRates are the renewal rates token.Status calls "not renewed",
// spelled as the index of such tokens (migration 00023) says.
const offRates = "renewal_rate IN ('disabled', '')"

// listNarrowing is f's first narrowing condition (index "" for none).
func listNarrowing(f TokenFilter) (index, cond string, args []any) {
	if all := listNarrowings(f); len(all) > 0 {
		return all[0].index, all[0].cond, all[0].args
	}
	return "", "", nil
}

// chooseNarrowing picks the narrowing of f that holds fewest tokens, if
// it holds few enough to read and sort them all rather than walk the
// order's index (index "" otherwise).
func (s *Store) chooseNarrowing(ctx context.Context, f TokenFilter) (narrowing, error) {
	all := listNarrowings(f)
	if len(all) == 0 {
		return narrowing{}, nil
	}
	total, err := s.ScopeTokenCount(ctx, f.AppID)
	if err != nil {
		return narrowing{}, err
	}
	limit := max(f.Limit, 1)
	threshold := max(int(math.Sqrt(float64(limit*total))), 2*limit)
	var best narrowing
	fewest := threshold
	for _, nw := range all {
		var n int
		if nw.index == searchNarrowing {
			key, _ := nameSearch(f.Query)
			var match string
			if match, n, err = s.searchMatch(ctx, key, fewest); err != nil {
				return narrowing{}, err
			}
			nw.args = []any{match}
		} else if n, err = s.narrowingSize(ctx, f, nw, fewest); err != nil {
			return narrowing{}, err
		}
		if n < fewest {
			best, fewest = nw, n
		}
		if fewest <= limit {
			break // no other way reads fewer rows than a page
		}
	}
	return best, nil
}

// orderIndex is the index that gives a list's order within a scope.
func orderIndex(sort string) string {
	switch sort {
	case SortType:
		return "tokens_scope_provider"
	case SortChanged:
		return "tokens_scope_updated"
	}
	return "tokens_scope_name"
}

// listOrderIndex is orderIndex for f: with a type chosen, the names of
// that type are one range of the type order's index, in name order too.
func listOrderIndex(f TokenFilter) string {
	if f.Provider != "" && f.Sort != SortChanged {
		return "tokens_scope_provider"
	}
	return orderIndex(f.Sort)
}

// tokenListQuery is the statement that reads one page of a token list
// (one row more than the page, to know whether another follows): from
// f's first narrowing index when narrow, else from the order's index.
func tokenListQuery(f TokenFilter, narrow bool) (string, []any) {
	var nw narrowing
	if narrow {
		nw.index, nw.cond, nw.args = listNarrowing(f)
	}
	return tokenListQueryBy(f, nw)
}

// tokenListQueryBy is tokenListQuery reading from nw's index (the order's
// when nw.index is "").
func tokenListQueryBy(f TokenFilter, nw narrowing) (string, []any) {
	if nw.index == trigramNarrowing {
		return trigramListQuery(f, nw)
	}
	// ifnull(app_id, 0) matches the indexes, which then also give the order.
	where := []string{"ifnull(app_id, 0) = ?"}
	args := []any{f.AppID}
	if cond, a := nameCondition(f.Query, f.dialect); cond != "" {
		where = append(where, cond)
		args = append(args, a...)
	}
	if nw.index == searchNarrowing {
		key, _ := nameSearch(f.Query)
		cond, a := searchRowsCondition(key)
		if len(nw.args) == 1 {
			cond, a = searchMatchCondition(nw.args[0].(string)) // searchMatch's
		}
		where = append(where, cond)
		args = append(args, a...)
	}
	if f.Provider != "" {
		where = append(where, "provider = ?")
		args = append(args, f.Provider)
	}
	if f.Status == token.StatusRetired {
		// The retired providers' tokens, whatever their state (none: none).
		cond, a := providerIn(f.Retired)
		where = append(where, cond)
		args = append(args, a...)
	} else if cond, a, ok := statusSQL(f.Status, f.Now); ok {
		where = append(where, cond)
		args = append(args, a...)
		if len(f.Retired) > 0 {
			where = append(where, "provider NOT IN (?"+strings.Repeat(", ?", len(f.Retired)-1)+")")
			for _, p := range f.Retired {
				args = append(args, p)
			}
		}
	}
	desc := f.Desc
	at := f.After
	if f.Before != nil {
		desc, at = !desc, f.Before
	}
	cols, vals := listKeys(f.Sort, at)
	if at != nil {
		op := " > "
		if desc {
			op = " < "
		}
		where = append(where, "("+strings.Join(cols, ", ")+")"+op+"("+strings.Repeat("?, ", len(cols)-1)+"?)")
		args = append(args, vals...)
	}
	hint := " INDEXED BY " + listOrderIndex(f)
	switch nw.index {
	case "":
	case searchNarrowing:
		// The few ids FTS5 found, each read by its primary key (which NOT
		// INDEXED still allows), then sorted.
		hint = " NOT INDEXED"
	default:
		hint = " INDEXED BY " + nw.index
		where = append(where, nw.cond)
		args = append(args, nw.args...)
	}
	order := listOrder(f.Sort, desc)
	limit := ""
	if f.Limit > 0 {
		// One more says whether another page follows. (No LIMIT at all
		// otherwise: PostgreSQL refuses SQLite's LIMIT -1.)
		limit = " LIMIT ?"
		args = append(args, f.Limit+1)
	}
	pick := "SELECT id FROM tokens" + hint + " WHERE " + strings.Join(where, " AND ") + " ORDER BY " + order + limit
	if nw.index == "" || nw.index == searchNarrowing {
		return "SELECT " + tokenCols + " FROM tokens" + hint + " WHERE " + strings.Join(where, " AND ") + " ORDER BY " + order + limit, args
	}
	// Read from a narrowing index, the page is picked from the index's
	// entries (which hold what the large ranges test and sort by,
	// migration 00023), and only its rows are read.
	return "SELECT " + tokenCols + " FROM tokens WHERE id IN (" + pick + ") ORDER BY " + order, args
}

// TokenCursor is a token's place in a list: the keys of its sort orders.
type TokenCursor struct {
	Name     string `json:"n"` // the folded name (name_key)
	Provider string `json:"p"`
	Changed  int64  `json:"c"` // updated_at, Unix ms
	ID       int64  `json:"i"`
	// Status: the status a list sorted by status shows the token under
	// (the web layer orders by it; the store never reads it).
	Status string `json:"s,omitempty"`
}

// TokenCursorOf is where t stands in a list.
func TokenCursorOf(t token.Token) TokenCursor {
	return TokenCursor{Name: token.NameKey(t.Name), Provider: t.Provider, Changed: ms(t.UpdatedAt), ID: t.ID}
}

// TokenPage says where a page of a token list starts and ends, and whether
// pages lie before and after it.
type TokenPage struct {
	First, Last      TokenCursor
	HasPrev, HasNext bool
}

// listKeys are the columns that order a list (unique within a scope) and
// c's values for them.
func listKeys(sort string, c *TokenCursor) ([]string, []any) {
	if c == nil {
		c = &TokenCursor{}
	}
	switch sort {
	case SortType:
		return []string{"provider", "name_key"}, []any{c.Provider, c.Name}
	case SortChanged:
		return []string{"updated_at", "id"}, []any{c.Changed, c.ID}
	}
	return []string{"name_key"}, []any{c.Name}
}

// listOrder is the ORDER BY of a list. The scope is fixed by equality, so
// each order is read straight from its index; naming the scope's
// expression here as well would make SQLite sort instead.
func listOrder(sort string, desc bool) string {
	cols, _ := listKeys(sort, nil)
	if desc {
		for i := range cols {
			cols[i] += " DESC"
		}
	}
	return strings.Join(cols, ", ")
}

// ScopeTokenCount is how many tokens a scope (0: global) holds, from the
// count kept by triggers (migration 00008), not by counting them.
func (s *Store) ScopeTokenCount(ctx context.Context, appID int64) (int, error) {
	var n int
	err := s.queryRow(ctx, "SELECT ifnull((SELECT total FROM scope_token_counts WHERE scope = ?), 0)", appID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: counting tokens: %w", err)
	}
	return n, nil
}

// TokensByIDs loads the tokens of one scope among ids, by name; ids outside
// the scope are skipped.
func (s *Store) TokensByIDs(ctx context.Context, appID int64, ids []int64) ([]token.Token, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := []any{appID}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.read.QueryContext(ctx, "SELECT "+tokenCols+" FROM tokens WHERE ifnull(app_id, 0) = ? AND id IN (?"+
		strings.Repeat(", ?", len(ids)-1)+") ORDER BY name_key, id", args...)
	if err != nil {
		return nil, fmt.Errorf("store: tokens by id: %w", err)
	}
	defer rows.Close()
	var out []token.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// DeleteTokens removes tokens of one scope (and their values) and audits
// each, in one transaction. It returns the names removed.
func (s *Store) DeleteTokens(ctx context.Context, appID int64, ids []int64, actor string) ([]string, error) {
	var names []string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			var name, prov string
			err := tx.QueryRowContext(ctx, "SELECT name, provider FROM tokens WHERE id = ? AND ifnull(app_id, 0) = ?"+s.d.forUpdate(), id, appID).Scan(&name, &prov)
			if errors.Is(err, sql.ErrNoRows) {
				continue // already gone: removing twice is not an error
			}
			if err != nil {
				return fmt.Errorf("store: deleting token: %w", err)
			}
			if err := enqueueToken(ctx, tx, EventTokenChanged, id, s.Now(), func(ev *TokenEvent) {
				ev.Action, ev.By = "deleted", actor
			}); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM tokens WHERE id = ?", id); err != nil {
				return fmt.Errorf("store: deleting token: %w", err)
			}
			if err := insertAudit(ctx, tx, Audit{At: s.Now(), Actor: actor, Action: ActionTokenDelete,
				Subject: name, TokenID: id, AppID: appID, Provider: prov}); err != nil {
				return err
			}
			names = append(names, name)
		}
		return nil
	})
	return names, err
}

func nullID(id int64) sql.NullInt64 {
	return sql.NullInt64{Int64: id, Valid: id != 0}
}

const nameKeyMeta = "name_key_version"

// rekeyNames recomputes the stored name keys of tokens and apps once after
// token.NameKey changed, so that names stored under the old rule are found
// and compared by the new one. Two rows that the new rule makes one name
// cannot both take the key: the row that holds it first keeps it and the
// other keeps its old key (it stays listed and editable; a rename settles it).
func (s *Store) rekeyNames(ctx context.Context) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var done []byte
		err := tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", nameKeyMeta).Scan(&done)
		if err == nil && string(done) == token.NameKeyVersion {
			return nil
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: rekeying names: %w", err)
		}
		for _, table := range []string{"tokens", "apps"} {
			if err := rekeyTable(ctx, tx, table); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, nameKeyMeta, []byte(token.NameKeyVersion))
		if err != nil {
			return fmt.Errorf("store: rekeying names: %w", err)
		}
		return nil
	})
}

func rekeyTable(ctx context.Context, tx *sql.Tx, table string) error {
	rows, err := tx.QueryContext(ctx, "SELECT id, name, name_key FROM "+table+" ORDER BY id")
	if err != nil {
		return fmt.Errorf("store: rekeying %s: %w", table, err)
	}
	type change struct {
		id  int64
		key string
	}
	var changes []change
	for rows.Next() {
		var c change
		var name, old string
		if err := rows.Scan(&c.id, &name, &old); err != nil {
			rows.Close()
			return fmt.Errorf("store: rekeying %s: %w", table, err)
		}
		if c.key = token.NameKey(name); c.key != old {
			changes = append(changes, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: rekeying %s: %w", table, err)
	}
	for _, c := range changes {
		// A savepoint, because on PostgreSQL a failed statement (the
		// unique violation expected here) fails the whole transaction.
		if _, err := tx.ExecContext(ctx, "SAVEPOINT rekey"); err != nil {
			return fmt.Errorf("store: rekeying %s: %w", table, err)
		}
		_, err := tx.ExecContext(ctx, "UPDATE "+table+" SET name_key = ? WHERE id = ?", c.key, c.id)
		if err != nil && !isUniqueViolation(err) {
			return fmt.Errorf("store: rekeying %s: %w", table, err)
		}
		undo := "RELEASE SAVEPOINT rekey"
		if err != nil {
			undo = "ROLLBACK TO SAVEPOINT rekey"
		}
		if _, err := tx.ExecContext(ctx, undo); err != nil {
			return fmt.Errorf("store: rekeying %s: %w", table, err)
		}
	}
	return nil
}

// Shadow is an app's token that hides a global token of the same name from
// that app's API clients: each token's id, app, name and type.
type Shadow struct {
	App    token.Token
	Global token.Token
}

// ShadowedGlobals lists, by name, up to limit global tokens that appID's
// own tokens shadow (same name key), with the app token that shadows
// each; more says whether others follow. Both tokens are read by the
// one query (ids, names and types: what the app's page shows), from the
// name index, however many tokens the app has.
func (s *Store) ShadowedGlobals(ctx context.Context, appID int64, limit int) (out []Shadow, more bool, err error) {
	limit = max(limit, 1)
	rows, err := s.read.QueryContext(ctx, shadowedQuery, appID, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("store: shadowed tokens: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sh Shadow
		if err := rows.Scan(&sh.App.ID, &sh.App.AppID, &sh.App.Name, &sh.App.Provider,
			&sh.Global.ID, &sh.Global.Name, &sh.Global.Provider); err != nil {
			return nil, false, fmt.Errorf("store: shadowed tokens: %w", err)
		}
		out = append(out, sh)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("store: shadowed tokens: %w", err)
	}
	if more = len(out) > limit; more {
		out = out[:limit]
	}
	return out, more, nil
}

// shadowedQuery walks the app's names in order, each looked up among the
// global names: both ranges of tokens_scope_name.
const shadowedQuery = `SELECT a.id, ifnull(a.app_id, 0), a.name, a.provider, g.id, g.name, g.provider
	FROM tokens a JOIN tokens g ON ifnull(g.app_id, 0) = 0 AND g.name_key = a.name_key
	WHERE ifnull(a.app_id, 0) = ? ORDER BY a.name_key LIMIT ?`
