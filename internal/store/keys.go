package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tokendesk/tokendesk/internal/secret"
)

// Data keys and their rotation (migration 00015; the design is in
// internal/secret/keyring.go). Every sealed value names the data key that
// sealed it. A rotation makes a new data key current, then re-seals the
// values under older keys in small batches, each a compare-and-swap on
// the sealed bytes: a value an edit or a renewal rewrote meanwhile is
// left alone (the write already used the current key). An old key is
// deleted only when no value uses it any more, and Store.RetireGrace after
// the last one moved, so that a process that read a value's old bytes just
// before still finds the key to open them.

// Audit actions of key rotation.
const (
	ActionKeyRotate       = "key.rotate.start"
	ActionKeyRotateFinish = "key.rotate.finish"
	ActionMasterKeyChange = "key.master"
)

// ErrRotationRunning: a key rotation is already under way.
var ErrRotationRunning = errors.New("store: a key rotation is already under way")

// DefaultRetireGrace is how long an old data key outlives the last value
// sealed with it (Store.RetireGrace).
const DefaultRetireGrace = 30 * time.Second

// DataKey is one data key and how many values it seals. Key material is
// never read out of the store.
type DataKey struct {
	ID        int64
	CreatedAt time.Time
	CreatedBy string
	Values    int
	Current   bool
}

// KeyRotation is the rotation under way, or the last one.
type KeyRotation struct {
	KeyID      int64
	StartedAt  time.Time
	StartedBy  string
	Total      int // values to re-seal when it started
	Done       int // of Total, moved to KeyID (or rewritten, or removed)
	Stuck      int // values that did not open in the last whole pass
	Running    bool
	FinishedAt time.Time
}

// KeyringStatus is what the settings page shows: the data keys in use, the
// values still sealed straight under the master key (format v1), and the
// rotation. Counts and ids only; the keys themselves are secret.Keyring's.
type KeyringStatus struct {
	Keys     []DataKey
	MasterV1 int
	Rotation *KeyRotation
}

type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ensureDataKey makes the first data key of a database that has none. It
// never wraps one under a master key that is not the database's: the key
// check says so first (VerifyMasterKey then stops start-up).
func (s *Store) ensureDataKey(ctx context.Context) error {
	var check []byte
	err := s.write.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", keyCheckMeta).Scan(&check)
	if err == nil && s.box.VerifyKeyCheck(check) != nil {
		return nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: reading key check: %w", err)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM data_keys").Scan(&n); err != nil {
			return fmt.Errorf("store: data keys: %w", err)
		}
		if n > 0 {
			return nil
		}
		_, err := s.insertDataKey(ctx, tx, "tokendesk")
		return err
	})
}

// insertDataKey makes a new data key, current from the moment tx commits.
// It is not added to the keyring here: a rolled-back id could be reused,
// so keys are only ever loaded from committed rows.
func (s *Store) insertDataKey(ctx context.Context, tx *sql.Tx, actor string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, "INSERT INTO data_keys (wrapped, created_at, created_by) VALUES (?, ?, ?) RETURNING id",
		[]byte{}, ms(s.Now()), actor).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: making a data key: %w", err)
	}
	// The wrapped key is bound to its id, known only now.
	if _, err := tx.ExecContext(ctx, "UPDATE data_keys SET wrapped = ? WHERE id = ?", s.keys.Wrap(id, secret.GenerateKey()), id); err != nil {
		return 0, fmt.Errorf("store: making a data key: %w", err)
	}
	return id, nil
}

// loadKey puts data key id in the keyring, reading it through q.
func (s *Store) loadKey(ctx context.Context, q rowQuerier, id int64) error {
	if s.keys.Has(id) {
		return nil
	}
	var wrapped []byte
	err := q.QueryRowContext(ctx, "SELECT wrapped FROM data_keys WHERE id = ?", id).Scan(&wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: data key %d no longer exists: %w", id, secret.ErrOpen)
	}
	if err != nil {
		return fmt.Errorf("store: loading data key %d: %w", id, err)
	}
	return s.keys.Add(id, wrapped)
}

// currentKey is the id of the data key new values are sealed under, read
// inside the writing transaction: a process never seals under a key that
// another process's rotation has made old, whatever it has cached.
func (s *Store) currentKey(ctx context.Context, q rowQuerier) (int64, error) {
	var id sql.NullInt64
	if err := q.QueryRowContext(ctx, "SELECT max(id) FROM data_keys").Scan(&id); err != nil {
		return 0, fmt.Errorf("store: current data key: %w", err)
	}
	if !id.Valid {
		return 0, errors.New("store: no data key (the database was opened under another master key)")
	}
	return id.Int64, s.loadKey(ctx, q, id.Int64)
}

// sealValue seals plain under the current data key, inside the writing
// transaction; it returns the key's id to store beside the value.
func (s *Store) sealValue(ctx context.Context, tx *sql.Tx, plain []byte, aad string) ([]byte, int64, error) {
	id, err := s.currentKey(ctx, tx)
	if err != nil {
		return nil, 0, err
	}
	sealed, err := s.keys.Seal(id, plain, aad)
	if err != nil {
		return nil, 0, fmt.Errorf("store: sealing: %w", err)
	}
	return sealed, id, nil
}

// openValue opens a stored value, loading its data key through q on first
// use (a key another process made).
func (s *Store) openValue(ctx context.Context, q rowQuerier, sealed []byte, aad string) ([]byte, error) {
	plain, err := s.keys.Open(sealed, aad)
	if id, ok := secret.IsUnknownKey(err); ok {
		if err := s.loadKey(ctx, q, id); err != nil {
			return nil, err
		}
		return s.keys.Open(sealed, aad)
	}
	return plain, err
}

// StartKeyRotation makes a new data key current for every new write (in
// every process: they read the current key in each write) and records a
// rotation for ResealBatch to carry out. ErrRotationRunning when one is
// under way.
func (s *Store) StartKeyRotation(ctx context.Context, actor string) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var running int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM key_rotations WHERE finished_at IS NULL").Scan(&running); err != nil {
			return fmt.Errorf("store: starting key rotation: %w", err)
		}
		if running > 0 {
			return ErrRotationRunning
		}
		var err error
		if id, err = s.insertDataKey(ctx, tx, actor); err != nil {
			return err
		}
		var total int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM token_values WHERE sealed = 1").Scan(&total); err != nil {
			return fmt.Errorf("store: starting key rotation: %w", err)
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO key_rotations (id, key_id, started_at, started_by, total) VALUES (1, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET key_id = excluded.key_id, started_at = excluded.started_at,
				started_by = excluded.started_by, total = excluded.total, resealed = 0, after_token = 0,
				after_field = '', passes = 0, failed = 0, stuck = 0, drained_at = NULL, finished_at = NULL`,
			id, ms(s.Now()), actor, total)
		if err != nil {
			return fmt.Errorf("store: starting key rotation: %w", err)
		}
		return insertAudit(ctx, tx, Audit{At: s.Now(), Actor: actor, Action: ActionKeyRotate, Subject: keyName(id),
			Detail: plural(total, "value", "values") + " to re-seal"})
	})
	return id, err
}

func keyName(id int64) string { return "key " + strconv.FormatInt(id, 10) }

// Reseal says what one ResealBatch did.
type Reseal struct {
	Running  bool // a rotation is under way (after this batch)
	More     bool // call again at once: the pass goes on
	Resealed int  // values moved by this batch
	Retired  []int64
}

type rotationRow struct {
	keyID                int64
	afterToken           int64
	afterField           string
	drained, finished    sql.NullInt64
	total, failed, stuck int
	startedAt            int64
	startedBy            string
}

func (s *Store) rotationRow(ctx context.Context, q rowQuerier) (*rotationRow, error) {
	var r rotationRow
	err := q.QueryRowContext(ctx, `SELECT key_id, after_token, after_field, drained_at, finished_at, total, failed, stuck,
		started_at, started_by FROM key_rotations WHERE id = 1`).Scan(&r.keyID, &r.afterToken, &r.afterField,
		&r.drained, &r.finished, &r.total, &r.failed, &r.stuck, &r.startedAt, &r.startedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: key rotation: %w", err)
	}
	return &r, nil
}

// errCursorMoved: another process re-sealed the same batch first.
var errCursorMoved = errors.New("store: another process moved the re-seal on")

// ResealBatch moves up to limit values, from where the rotation's cursor
// stands, to the rotation's key. Any process may call it; the cursor is
// shared in the database, so a restarted or another process goes on where
// the last batch stopped. At the end of a pass it starts another if values
// remain under old keys (ones that did not open, or a write that raced
// the key change), and once none remain it retires the old keys,
// Store.RetireGrace later.
func (s *Store) ResealBatch(ctx context.Context, limit int) (Reseal, error) {
	r, err := s.rotationRow(ctx, s.read)
	if err != nil || r == nil || r.finished.Valid {
		return Reseal{}, err
	}
	if r.drained.Valid {
		return s.retireOldKeys(ctx, r)
	}
	type value struct {
		token int64
		field string
		old   []byte
		new   []byte
	}
	rows, err := s.read.QueryContext(ctx, `SELECT token_id, field, value FROM token_values
		WHERE (token_id, field) > (?, ?) AND sealed = 1 AND coalesce(key_id, 0) <> ?
		ORDER BY token_id, field LIMIT ?`, r.afterToken, r.afterField, r.keyID, limit)
	if err != nil {
		return Reseal{}, fmt.Errorf("store: re-sealing: %w", err)
	}
	var batch []value
	for rows.Next() {
		var v value
		if err := rows.Scan(&v.token, &v.field, &v.old); err != nil {
			rows.Close()
			return Reseal{}, fmt.Errorf("store: re-sealing: %w", err)
		}
		batch = append(batch, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Reseal{}, fmt.Errorf("store: re-sealing: %w", err)
	}
	if len(batch) == 0 {
		return s.endPass(ctx, r)
	}
	if err := s.loadKey(ctx, s.read, r.keyID); err != nil {
		return Reseal{}, err
	}
	// Crypto outside the write transaction, which stays short.
	failed := 0
	for i := range batch {
		v := &batch[i]
		aad := valueAAD(v.token, v.field)
		plain, err := s.openValue(ctx, s.read, v.old, aad)
		if err != nil {
			failed++ // left under its key; the rotation reports it
			continue
		}
		if v.new, err = s.keys.Seal(r.keyID, plain, aad); err != nil {
			return Reseal{}, fmt.Errorf("store: re-sealing: %w", err)
		}
	}
	if s.beforeResealWrite != nil {
		s.beforeResealWrite()
	}
	last := batch[len(batch)-1]
	moved := 0
	err = s.tx(ctx, func(tx *sql.Tx) error {
		moved = 0
		for _, v := range batch {
			if v.new == nil {
				continue
			}
			// Compare-and-swap: an edit or renewal since the read wins.
			res, err := tx.ExecContext(ctx, `UPDATE token_values SET value = ?, key_id = ?
				WHERE token_id = ? AND field = ? AND sealed = 1 AND value = ?`, v.new, r.keyID, v.token, v.field, v.old)
			if err != nil {
				return fmt.Errorf("store: re-sealing: %w", err)
			}
			n, _ := res.RowsAffected()
			moved += int(n)
		}
		res, err := tx.ExecContext(ctx, `UPDATE key_rotations SET after_token = ?, after_field = ?,
				resealed = resealed + ?, failed = failed + ?
			WHERE id = 1 AND key_id = ? AND after_token = ? AND after_field = ? AND finished_at IS NULL AND drained_at IS NULL`,
			last.token, last.field, moved, failed, r.keyID, r.afterToken, r.afterField)
		if err != nil {
			return fmt.Errorf("store: re-sealing: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errCursorMoved
		}
		return nil
	})
	if errors.Is(err, errCursorMoved) {
		return Reseal{Running: true, More: true}, nil
	}
	if err != nil {
		return Reseal{}, err
	}
	return Reseal{Running: true, More: true, Resealed: moved}, nil
}

// remainingQuery counts the sealed values not under key ?, the newest
// (no key is made while a rotation runs), from the index on key_id: older
// keys, and format v1 values (sealed, no key id).
const remainingQuery = "SELECT (SELECT count(*) FROM token_values WHERE key_id < ?) + (SELECT count(*) FROM token_values WHERE key_id IS NULL AND sealed = 1)"

// endPass closes a pass over every value: nothing left under old keys
// starts the grace before retiring them; anything left starts a new pass
// (the caller waits a little first).
func (s *Store) endPass(ctx context.Context, r *rotationRow) (Reseal, error) {
	out := Reseal{Running: true}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var left int
		if err := tx.QueryRowContext(ctx, remainingQuery, r.keyID).Scan(&left); err != nil {
			return fmt.Errorf("store: re-sealing: %w", err)
		}
		if left == 0 {
			out.More = true // the next call starts the grace
			_, err := tx.ExecContext(ctx, "UPDATE key_rotations SET drained_at = ?, stuck = 0 WHERE id = 1 AND key_id = ? AND drained_at IS NULL",
				ms(s.Now()), r.keyID)
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE key_rotations SET after_token = 0, after_field = '', passes = passes + 1,
				stuck = failed, failed = 0
			WHERE id = 1 AND key_id = ? AND after_token = ? AND after_field = ?`, r.keyID, r.afterToken, r.afterField)
		return err
	})
	if err != nil {
		return Reseal{}, fmt.Errorf("store: re-sealing: %w", err)
	}
	return out, nil
}

// retireOldKeys deletes the keys no value uses, once the grace is over,
// and finishes the rotation. A value sealed under an old key since the
// pass ended (a write that raced the key change) sends the rotation back
// for another pass instead.
func (s *Store) retireOldKeys(ctx context.Context, r *rotationRow) (Reseal, error) {
	if s.Now().Before(fromMS(r.drained.Int64).Add(s.RetireGrace)) {
		return Reseal{Running: true}, nil
	}
	out := Reseal{Running: true, More: true}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var left int
		if err := tx.QueryRowContext(ctx, remainingQuery, r.keyID).Scan(&left); err != nil {
			return fmt.Errorf("store: retiring keys: %w", err)
		}
		if left > 0 {
			_, err := tx.ExecContext(ctx, `UPDATE key_rotations SET drained_at = NULL, after_token = 0, after_field = '',
				passes = passes + 1 WHERE id = 1 AND key_id = ?`, r.keyID)
			return err
		}
		rows, err := tx.QueryContext(ctx, `DELETE FROM data_keys WHERE id <> ?
			AND NOT EXISTS (SELECT 1 FROM token_values WHERE key_id = data_keys.id) RETURNING id`, r.keyID)
		if err != nil {
			return fmt.Errorf("store: retiring keys: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("store: retiring keys: %w", err)
			}
			out.Retired = append(out.Retired, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: retiring keys: %w", err)
		}
		res, err := tx.ExecContext(ctx, "UPDATE key_rotations SET finished_at = ? WHERE id = 1 AND key_id = ? AND finished_at IS NULL",
			ms(s.Now()), r.keyID)
		if err != nil {
			return fmt.Errorf("store: retiring keys: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errCursorMoved // another process finished it
		}
		out.Running, out.More = false, false
		detail := "values re-sealed under " + keyName(r.keyID)
		for i, id := range out.Retired {
			if i == 0 {
				detail += "; retired "
			} else {
				detail += ", "
			}
			detail += keyName(id)
		}
		return insertAudit(ctx, tx, Audit{At: s.Now(), Actor: r.startedBy, Action: ActionKeyRotateFinish,
			Subject: keyName(r.keyID), Detail: detail})
	})
	if errors.Is(err, errCursorMoved) {
		return Reseal{}, nil
	}
	if err != nil {
		return Reseal{}, err
	}
	for _, id := range out.Retired {
		s.keys.Forget(id)
	}
	return out, nil
}

// KeyringStatus reads the data keys, how many values each seals, and the
// rotation, for the settings page and the command line.
func (s *Store) KeyringStatus(ctx context.Context) (KeyringStatus, error) {
	var out KeyringStatus
	counts := map[int64]int{}
	// Only sealed values have a key id; key id 0 stands for format v1.
	rows, err := s.read.QueryContext(ctx, `SELECT key_id, count(*) FROM token_values WHERE key_id IS NOT NULL GROUP BY key_id
		UNION ALL SELECT 0, count(*) FROM token_values WHERE key_id IS NULL AND sealed = 1`)
	if err != nil {
		return out, fmt.Errorf("store: keyring: %w", err)
	}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return out, fmt.Errorf("store: keyring: %w", err)
		}
		counts[id] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("store: keyring: %w", err)
	}
	out.MasterV1 = counts[0]
	rows, err = s.read.QueryContext(ctx, "SELECT id, created_at, created_by FROM data_keys ORDER BY id DESC")
	if err != nil {
		return out, fmt.Errorf("store: keyring: %w", err)
	}
	for rows.Next() {
		var k DataKey
		var at int64
		if err := rows.Scan(&k.ID, &at, &k.CreatedBy); err != nil {
			rows.Close()
			return out, fmt.Errorf("store: keyring: %w", err)
		}
		k.CreatedAt, k.Values, k.Current = fromMS(at), counts[k.ID], len(out.Keys) == 0
		out.Keys = append(out.Keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("store: keyring: %w", err)
	}
	r, err := s.rotationRow(ctx, s.read)
	if err != nil || r == nil {
		return out, err
	}
	left := 0
	for id, n := range counts {
		if id != r.keyID {
			left += n
		}
	}
	out.Rotation = &KeyRotation{KeyID: r.keyID, StartedAt: fromMS(r.startedAt), StartedBy: r.startedBy, Total: r.total,
		Done: min(max(r.total-left, 0), r.total), Stuck: r.stuck, Running: !r.finished.Valid, FinishedAt: fromNullMS(r.finished)}
	return out, nil
}

// resealUnderMaster moves what is sealed straight under the master key,
// outside token values, to next: webhook signing secrets, second factors
// and single sign-on's client secret are re-sealed; OAuth 2.0 consent and
// sign-in trips and import previews under way are dropped (they
// last minutes, and the servers are stopped: the person starts again).
func (s *Store) resealUnderMaster(ctx context.Context, tx *sql.Tx, next *secret.Box) error {
	type hook struct {
		id               int64
		secret, previous []byte
	}
	var hooks []hook
	rows, err := tx.QueryContext(ctx, "SELECT id, secret, previous_secret FROM webhooks")
	if err != nil {
		return fmt.Errorf("store: changing master key: %w", err)
	}
	for rows.Next() {
		var h hook
		if err := rows.Scan(&h.id, &h.secret, &h.previous); err != nil {
			rows.Close()
			return fmt.Errorf("store: changing master key: %w", err)
		}
		hooks = append(hooks, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: changing master key: %w", err)
	}
	for _, h := range hooks {
		plain, err := s.box.Open(h.secret, webhookAAD(h.id))
		if err != nil {
			return fmt.Errorf("store: changing master key: webhook %d's secret: %w", h.id, err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE webhooks SET secret = ? WHERE id = ?", next.Seal(plain, webhookAAD(h.id)), h.id); err != nil {
			return fmt.Errorf("store: changing master key: %w", err)
		}
		if len(h.previous) == 0 {
			continue
		}
		// The secret a rotation keeps for a day goes along: receivers
		// still on it would otherwise lose deliveries.
		plain, err = s.box.Open(h.previous, previousWebhookAAD(h.id))
		if err != nil {
			return fmt.Errorf("store: changing master key: webhook %d's previous secret: %w", h.id, err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE webhooks SET previous_secret = ? WHERE id = ?", next.Seal(plain, previousWebhookAAD(h.id)), h.id); err != nil {
			return fmt.Errorf("store: changing master key: %w", err)
		}
	}
	// Second factors' secrets go along too (issue 23): without them
	// nobody with a factor could sign in after the change.
	if err := s.resealFactors(ctx, tx, next); err != nil {
		return err
	}
	// So does single sign-on's client secret: without it nobody could
	// sign in through the identity provider after the change.
	var sso []byte
	switch err := tx.QueryRowContext(ctx, "SELECT client_secret FROM sso_settings WHERE id = 1").Scan(&sso); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("store: changing master key: %w", err)
	case len(sso) > 0:
		plain, err := s.box.Open(sso, SSOSecretAAD)
		if err != nil {
			return fmt.Errorf("store: changing master key: single sign-on's client secret: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE sso_settings SET client_secret = ? WHERE id = 1", next.Seal(plain, SSOSecretAAD)); err != nil {
			return fmt.Errorf("store: changing master key: %w", err)
		}
	}
	// Sign-in trips under way are dropped like consent trips: their PKCE
	// verifiers are sealed under the old key.
	for _, table := range []string{"oauth_states", "import_drafts", "sso_states"} {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+table); err != nil {
			return fmt.Errorf("store: changing master key: %w", err)
		}
	}
	return nil
}

// ChangeMasterKey re-wraps every data key, and the key check, under next,
// in one transaction; values sealed straight under the master key (format
// v1) are first moved to the current data key. Values themselves are not
// re-sealed. Every process holding the old master key must stop first: it
// would wrap a new data key under the old one. It returns how many data
// keys and v1 values it rewrote.
func (s *Store) ChangeMasterKey(ctx context.Context, next *secret.Box, actor string) (keys, values int, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		keys, values = 0, 0
		rows, err := tx.QueryContext(ctx, "SELECT token_id, field, value FROM token_values WHERE sealed = 1 AND key_id IS NULL")
		if err != nil {
			return fmt.Errorf("store: changing master key: %w", err)
		}
		type v1 struct {
			id    int64
			field string
			value []byte
		}
		var old []v1
		for rows.Next() {
			var v v1
			if err := rows.Scan(&v.id, &v.field, &v.value); err != nil {
				rows.Close()
				return fmt.Errorf("store: changing master key: %w", err)
			}
			old = append(old, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: changing master key: %w", err)
		}
		for _, v := range old {
			plain, err := s.box.Open(v.value, valueAAD(v.id, v.field))
			if err != nil {
				return fmt.Errorf("store: changing master key: token %d field %s: %w", v.id, v.field, err)
			}
			sealed, keyID, err := s.sealValue(ctx, tx, plain, valueAAD(v.id, v.field))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "UPDATE token_values SET value = ?, key_id = ? WHERE token_id = ? AND field = ?",
				sealed, keyID, v.id, v.field); err != nil {
				return fmt.Errorf("store: changing master key: %w", err)
			}
			values++
		}
		type wrappedKey struct {
			id      int64
			wrapped []byte
		}
		var all []wrappedKey
		krows, err := tx.QueryContext(ctx, "SELECT id, wrapped FROM data_keys")
		if err != nil {
			return fmt.Errorf("store: changing master key: %w", err)
		}
		for krows.Next() {
			var k wrappedKey
			if err := krows.Scan(&k.id, &k.wrapped); err != nil {
				krows.Close()
				return fmt.Errorf("store: changing master key: %w", err)
			}
			all = append(all, k)
		}
		krows.Close()
		if err := krows.Err(); err != nil {
			return fmt.Errorf("store: changing master key: %w", err)
		}
		for _, k := range all {
			rewrapped, err := s.keys.Rewrap(k.id, k.wrapped, next)
			if err != nil {
				return fmt.Errorf("store: changing master key: %w", err)
			}
			if _, err := tx.ExecContext(ctx, "UPDATE data_keys SET wrapped = ? WHERE id = ?", rewrapped, k.id); err != nil {
				return fmt.Errorf("store: changing master key: %w", err)
			}
			keys++
		}
		if err := s.resealUnderMaster(ctx, tx, next); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE meta SET value = ? WHERE key = ?", next.KeyCheck(), keyCheckMeta); err != nil {
			return fmt.Errorf("store: changing master key: %w", err)
		}
		return insertAudit(ctx, tx, Audit{At: s.Now(), Actor: actor, Action: ActionMasterKeyChange, Subject: "master key",
			Detail: plural(keys, "data key", "data keys") + " re-wrapped"})
	})
	if err != nil {
		return 0, 0, err
	}
	s.box = next
	s.keys = secret.NewKeyring(next)
	return keys, values, nil
}
