package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tokendesk/tokendesk/internal/token"
)

// KeyPrefix starts every API client key, so leaked keys are recognisable.
const KeyPrefix = "tdk_"

// Client is an API client: a key that processes use to fetch tokens.
type Client struct {
	ID         int64
	AppID      int64 // 0: a global client
	Name       string
	KeyPrefix  string // the key's first characters, to tell keys apart
	CreatedAt  time.Time
	CreatedBy  string
	RevokedAt  time.Time
	LastUsedAt time.Time
}

// Revoked reports whether the key no longer works.
func (c Client) Revoked() bool { return !c.RevokedAt.IsZero() }

// HashKey is how a key is stored: keys are 32 random bytes, so a plain
// SHA-256 is enough and lets a request find its client in one lookup.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// ErrDuplicateClient is returned for a client name already used by a live
// client in the same scope (names ignore case, as token names do).
var ErrDuplicateClient = errors.New("store: an API client with that name already exists")

// CreateClient makes an API client and returns its key, which is never
// stored and cannot be shown again.
func (s *Store) CreateClient(ctx context.Context, appID int64, name, actor string) (Client, string, error) {
	b := make([]byte, 32)
	rand.Read(b)
	key := KeyPrefix + base64.RawURLEncoding.EncodeToString(b)
	prefix := key[:len(KeyPrefix)+6]
	now := s.Now()
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// Checked inside the write transaction: writes are serialised, so two
		// clients of one name cannot slip in side by side.
		rows, err := tx.QueryContext(ctx, "SELECT name FROM api_clients WHERE ifnull(app_id, 0) = ? AND revoked_at IS NULL", appID)
		if err != nil {
			return fmt.Errorf("store: creating client: %w", err)
		}
		nameKey := token.NameKey(name)
		for rows.Next() {
			var other string
			if err := rows.Scan(&other); err != nil {
				rows.Close()
				return fmt.Errorf("store: creating client: %w", err)
			}
			if token.NameKey(other) == nameKey {
				rows.Close()
				return ErrDuplicateClient
			}
		}
		rows.Close()
		err = tx.QueryRowContext(ctx, "INSERT INTO api_clients (app_id, name, key_prefix, key_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
			nullID(appID), name, prefix, HashKey(key), ms(now), actor).Scan(&id)
		if err != nil {
			return fmt.Errorf("store: creating client: %w", err)
		}
		return insertAudit(ctx, tx, Audit{At: now, Actor: actor, Action: "client.create", Subject: name, AppID: appID, Detail: "key " + prefix + "…"})
	})
	if err != nil {
		return Client{}, "", err
	}
	return Client{ID: id, AppID: appID, Name: name, KeyPrefix: prefix, CreatedAt: now.UTC(), CreatedBy: actor}, key, nil
}

const clientCols = "id, ifnull(app_id, 0), name, key_prefix, created_at, created_by, revoked_at, last_used_at"

func scanClient(row interface{ Scan(...any) error }) (Client, error) {
	var c Client
	var created int64
	var revoked, used sql.NullInt64
	if err := row.Scan(&c.ID, &c.AppID, &c.Name, &c.KeyPrefix, &created, &c.CreatedBy, &revoked, &used); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Client{}, ErrNotFound
		}
		return Client{}, fmt.Errorf("store: client: %w", err)
	}
	c.CreatedAt, c.RevokedAt, c.LastUsedAt = fromMS(created), fromNullMS(revoked), fromNullMS(used)
	return c, nil
}

// ClientByKey finds the live client a key belongs to.
func (s *Store) ClientByKey(ctx context.Context, key string) (Client, error) {
	if !strings.HasPrefix(key, KeyPrefix) {
		return Client{}, ErrNotFound
	}
	return s.ClientByHash(ctx, HashKey(key))
}

// ClientByHash finds the unrevoked client whose key hashes to hash.
func (s *Store) ClientByHash(ctx context.Context, hash string) (Client, error) {
	c, err := scanClient(s.queryRow(ctx, "SELECT "+clientCols+" FROM api_clients WHERE key_hash = ?", hash))
	if err == nil && c.Revoked() {
		return Client{}, ErrNotFound
	}
	return c, err
}

// ClientByID loads one client of one app (0: the global clients).
func (s *Store) ClientByID(ctx context.Context, appID, id int64) (Client, error) {
	return scanClient(s.read.QueryRowContext(ctx, "SELECT "+clientCols+" FROM api_clients WHERE id = ? AND ifnull(app_id, 0) = ?", id, appID))
}

// ListClients lists the clients of one app (0: the global clients).
func (s *Store) ListClients(ctx context.Context, appID int64) ([]Client, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT "+clientCols+" FROM api_clients WHERE ifnull(app_id, 0) = ? ORDER BY revoked_at IS NOT NULL, name, id", appID)
	if err != nil {
		return nil, fmt.Errorf("store: listing clients: %w", err)
	}
	defer rows.Close()
	var out []Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// RevokeClient stops a key from working, at once.
func (s *Store) RevokeClient(ctx context.Context, appID, id int64, actor string) (Client, error) {
	var c Client
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = scanClient(tx.QueryRowContext(ctx, "SELECT "+clientCols+" FROM api_clients WHERE id = ? AND ifnull(app_id, 0) = ?", id, appID))
		if err != nil {
			return err
		}
		if c.Revoked() {
			return nil
		}
		c.RevokedAt = s.Now().UTC()
		if _, err := tx.ExecContext(ctx, "UPDATE api_clients SET revoked_at = ? WHERE id = ?", ms(c.RevokedAt), id); err != nil {
			return fmt.Errorf("store: revoking client: %w", err)
		}
		return insertAudit(ctx, tx, Audit{At: s.Now(), Actor: actor, Action: "client.revoke", Subject: c.Name, AppID: appID, Detail: "key " + c.KeyPrefix + "…"})
	})
	return c, err
}

// ResolveToken finds the token a client asks for by name: the client's
// app's own token first (it shadows a global one), then a global token the
// app may use. Global clients (appID 0, made by administrators) may use
// every global token: Permission Settings choose among apps. ErrNotFound covers both "no such token" and "not yours", so
// names do not leak.
func (s *Store) ResolveToken(ctx context.Context, appID int64, name string) (token.Token, error) {
	key := token.NameKey(strings.TrimSpace(name))
	if appID != 0 {
		t, err := scanToken(s.queryRow(ctx, "SELECT "+tokenCols+" FROM tokens WHERE ifnull(app_id, 0) = ? AND name_key = ?", appID, key))
		if !errors.Is(err, ErrNotFound) {
			return t, err
		}
	}
	return scanToken(s.queryRow(ctx, "SELECT "+tokenCols+` FROM tokens t
		WHERE ifnull(t.app_id, 0) = 0 AND t.name_key = ?1
		  AND (?2 = 0 OR `+allowedFor("?2")+`)`, key, appID))
}

// Usage is what the runtime API counted since its last flush, aggregated
// three ways: the read audit (every fetch, per minute, client, token and
// outcome), App Associations (served fetches per token and app) and each
// client's last use.
type Usage struct {
	Reads   map[ReadKey]int64
	Uses    map[TokenUseKey]TokenUse
	Clients map[int64]time.Time // client id → last served fetch
}

// ReadKey is one row of the read audit: the fetches of one token (0: none
// was found) by one client (0: the key was not recognised) with one
// outcome, within one minute.
type ReadKey struct {
	Minute   int64 // Unix minutes
	ClientID int64
	TokenID  int64
	Outcome  string // ReadOK or the API's error code
}

// TokenUseKey is a token fetched by one app's clients (0: global clients).
type TokenUseKey struct{ TokenID, AppID int64 }

// TokenUse counts served fetches of a token by an app.
type TokenUse struct {
	Count int64
	Last  time.Time
}

// ReadOK is the outcome of a fetch that returned a token.
const ReadOK = "ok"

// Empty reports whether nothing was counted.
func (u Usage) Empty() bool { return len(u.Reads) == 0 && len(u.Uses) == 0 && len(u.Clients) == 0 }

// readsPerStatement is how many read-audit rows one INSERT carries: one
// statement per row made a flush of a busy minute cost more than the
// fetches it counted.
const readsPerStatement = 200

// RecordUsage writes counted usage in one transaction.
func (s *Store) RecordUsage(ctx context.Context, u Usage) error {
	if u.Empty() {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		keys := slices.SortedFunc(maps.Keys(u.Reads), func(a, b ReadKey) int {
			return cmp.Or(cmp.Compare(a.Minute, b.Minute), cmp.Compare(a.ClientID, b.ClientID), cmp.Compare(a.TokenID, b.TokenID), strings.Compare(a.Outcome, b.Outcome))
		})
		for chunk := range slices.Chunk(keys, readsPerStatement) {
			q := "INSERT INTO api_reads (minute, client_id, token_id, outcome, count) VALUES " +
				strings.Repeat("(?, ?, ?, ?, ?), ", len(chunk)-1) + "(?, ?, ?, ?, ?)" +
				" ON CONFLICT (minute, client_id, token_id, outcome) DO UPDATE SET count = api_reads.count + excluded.count"
			args := make([]any, 0, 5*len(chunk))
			for _, k := range chunk {
				args = append(args, k.Minute, k.ClientID, k.TokenID, k.Outcome, u.Reads[k])
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("store: recording reads: %w", err)
			}
		}

		uses := slices.SortedFunc(maps.Keys(u.Uses), func(a, b TokenUseKey) int {
			return cmp.Or(cmp.Compare(a.TokenID, b.TokenID), cmp.Compare(a.AppID, b.AppID))
		})
		for chunk := range slices.Chunk(uses, readsPerStatement) {
			// Many rows a statement, as for the reads: a statement a row
			// was a round trip a row on PostgreSQL. A deleted token's or
			// app's use is dropped (the EXISTS), not written.
			q := "INSERT INTO token_usage (token_id, app_id, count, last_used_at) SELECT column1, column2, column3, column4 FROM (VALUES " +
				strings.Repeat("(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT)), ", len(chunk)-1) +
				"(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))) AS v" +
				` WHERE EXISTS (SELECT 1 FROM tokens WHERE id = v.column1)
				  AND (v.column2 = 0 OR EXISTS (SELECT 1 FROM apps WHERE id = v.column2))
				ON CONFLICT (token_id, app_id) DO UPDATE SET count = token_usage.count + excluded.count,
					last_used_at = CASE WHEN excluded.last_used_at > token_usage.last_used_at
						THEN excluded.last_used_at ELSE token_usage.last_used_at END`
			args := make([]any, 0, 4*len(chunk))
			for _, k := range chunk {
				use := u.Uses[k]
				args = append(args, k.TokenID, k.AppID, use.Count, ms(use.Last))
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("store: recording usage: %w", err)
			}
		}

		if len(u.Clients) > 0 {
			st, err := tx.PrepareContext(ctx, `UPDATE api_clients SET last_used_at = CAST(?1 AS BIGINT)
				WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?1)`)
			if err != nil {
				return fmt.Errorf("store: recording client use: %w", err)
			}
			defer st.Close()
			for id, last := range u.Clients {
				if _, err := st.ExecContext(ctx, ms(last), id); err != nil {
					return fmt.Errorf("store: recording client use: %w", err)
				}
			}
		}
		return nil
	})
}

// Reads is one row of the read audit.
type Reads struct {
	Minute   time.Time
	ClientID int64
	TokenID  int64
	Outcome  string
	Count    int64
}

// TokenReads lists the read audit of a token, newest minute first.
func (s *Store) TokenReads(ctx context.Context, tokenID int64, limit int) ([]Reads, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT minute, client_id, token_id, outcome, count FROM api_reads
		WHERE token_id = ? ORDER BY minute DESC, client_id, outcome LIMIT ?`, tokenID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: reads: %w", err)
	}
	defer rows.Close()
	var out []Reads
	for rows.Next() {
		var r Reads
		var minute int64
		if err := rows.Scan(&minute, &r.ClientID, &r.TokenID, &r.Outcome, &r.Count); err != nil {
			return nil, fmt.Errorf("store: reads: %w", err)
		}
		r.Minute = time.Unix(minute*60, 0).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// Association is one app's use of a token through the API.
type Association struct {
	AppID   int64
	AppName string // "Global API clients" for app 0
	Count   int64
	Last    time.Time
}

// TokenAssociations lists who fetched a token, most recent first.
func (s *Store) TokenAssociations(ctx context.Context, tokenID int64) ([]Association, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT u.app_id, ifnull(a.name, ''), u.count, u.last_used_at
		FROM token_usage u LEFT JOIN apps a ON a.id = u.app_id
		WHERE u.token_id = ? ORDER BY u.last_used_at DESC`, tokenID)
	if err != nil {
		return nil, fmt.Errorf("store: associations: %w", err)
	}
	defer rows.Close()
	var out []Association
	for rows.Next() {
		var a Association
		var last int64
		if err := rows.Scan(&a.AppID, &a.AppName, &a.Count, &last); err != nil {
			return nil, err
		}
		if a.AppID == 0 {
			a.AppName = "Global API clients"
		}
		a.Last = fromMS(last)
		out = append(out, a)
	}
	return out, rows.Err()
}

// ClientCursor is a client's place in its scope's list: live keys first,
// then by name.
type ClientCursor struct {
	Revoked bool   `json:"r"`
	Name    string `json:"n"`
	ID      int64  `json:"i"`
}

// ClientPage says where a page of clients starts and ends, and whether
// pages lie before and after it.
type ClientPage struct {
	First, Last      ClientCursor
	HasPrev, HasNext bool
}

// clientPageQuery reads one page of a scope's clients from
// api_clients_scope_list (one row more, to know whether another follows).
func clientPageQuery(appID int64, limit int, after, before *ClientCursor) (string, []any) {
	where, order := "", "revoked_at IS NOT NULL, name, id"
	args := []any{appID}
	switch {
	case after != nil:
		where, args = " AND (revoked_at IS NOT NULL, name, id) > (?, ?, ?)", append(args, after.Revoked, after.Name, after.ID)
	case before != nil:
		where, args = " AND (revoked_at IS NOT NULL, name, id) < (?, ?, ?)", append(args, before.Revoked, before.Name, before.ID)
		order = "revoked_at IS NOT NULL DESC, name DESC, id DESC"
	}
	return "SELECT " + clientCols + " FROM api_clients WHERE ifnull(app_id, 0) = ?" + where + " ORDER BY " + order + " LIMIT ?",
		append(args, limit+1)
}

// ClientsPage lists one page of the clients of one app (0: the global
// clients), after or before a cursor.
func (s *Store) ClientsPage(ctx context.Context, appID int64, limit int, after, before *ClientCursor) ([]Client, ClientPage, error) {
	limit = max(limit, 1)
	q, args := clientPageQuery(appID, limit, after, before)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, ClientPage{}, fmt.Errorf("store: listing clients: %w", err)
	}
	defer rows.Close()
	var out []Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, ClientPage{}, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, ClientPage{}, fmt.Errorf("store: listing clients: %w", err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	var pg ClientPage
	if before != nil {
		slices.Reverse(out)
		pg.HasPrev, pg.HasNext = more, len(out) > 0
	} else {
		pg.HasPrev, pg.HasNext = after != nil, more
	}
	if len(out) > 0 {
		at := func(c Client) ClientCursor { return ClientCursor{Revoked: c.Revoked(), Name: c.Name, ID: c.ID} }
		pg.First, pg.Last = at(out[0]), at(out[len(out)-1])
	}
	return out, pg, nil
}
