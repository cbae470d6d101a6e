package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tokendesk/tokendesk/internal/token"
)

// Notification events, as webhooks and e-mails name them.
const (
	// EventRenewalFailing: renewals of a token failed token.FailingAfter times in a row (once per run of failures).
	EventRenewalFailing = "renewal.failing"
	// EventRenewalRecovered: the first success after renewal.failing.
	EventRenewalRecovered = "renewal.recovered"
	// EventRenewalStopped: renewals failed for token.StopAfter; automatic renewal stopped ("Needs attention").
	EventRenewalStopped = "renewal.stopped"
	// EventTokenExpiring: an access or refresh token runs out soon and nothing will renew it.
	EventTokenExpiring = "token.expiring"
	// EventNeedsReconnect: the service refused the refresh token; a person must connect again.
	EventNeedsReconnect = "token.needs_reconnect"
	// EventTokenChanged: a person edited or deleted a token, or pressed Renew now.
	EventTokenChanged = "token.changed"
	// EventTest is what Send test event sends.
	EventTest = "webhook.test"
)

// Events are the events an endpoint may choose, in the order the form lists them.
var Events = []string{EventRenewalFailing, EventRenewalRecovered, EventRenewalStopped, EventTokenExpiring, EventNeedsReconnect, EventTokenChanged}

// Setting names.
const SettingWebhooksAllowPrivate = "webhooks_allow_private"

// SecretOverlap is how long a rotated-out signing secret still signs
// deliveries beside the new one, so that receivers can switch at their pace.
const SecretOverlap = 24 * time.Hour

// Webhook is an endpoint that receives events.
type Webhook struct {
	ID        int64
	URL       string
	Events    []string
	CreatedAt time.Time
	CreatedBy string
	UpdatedAt time.Time
	UpdatedBy string
	// PreviousUntil: until when the secret before the last rotation still
	// signs deliveries too (zero: no previous secret is kept).
	PreviousUntil time.Time
}

// Delivery is one event for one endpoint, with its attempts.
type Delivery struct {
	ID        int64
	WebhookID int64
	MsgID     string
	Event     string
	Body      string
	CreatedAt time.Time
	State     string // DeliveryPending, DeliveryDelivered, DeliveryFailed
	Attempts  int
	NextAt    time.Time
	Tries     []Attempt // read back for the endpoint's page, newest first
	// Set on a claim: where to send it and the secret to sign with, and
	// the previous secret while it is still kept ("" when none is).
	URL, Secret, PreviousSecret, Owner string
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Attempt is one try at a delivery and the receiver's answer.
type Attempt struct {
	At       time.Time
	Status   int // the HTTP status; 0: no answer, or an e-mail
	Excerpt  string
	Error    string
	Duration time.Duration
}

// Accepted reports whether the receiver took the delivery: a 2xx answer,
// or an e-mail the mail server accepted (no status, no error).
func (a Attempt) Accepted() bool {
	return (a.Status >= 200 && a.Status <= 299) || (a.Status == 0 && a.Error == "")
}

// auditURL is an endpoint URL for the audit log: without its query, which
// some receivers use for a token of their own.
func auditURL(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i]
	}
	return u
}

func webhookAAD(id int64) string { return "tokendesk/webhook/" + strconv.FormatInt(id, 10) + "/secret" }

// previousWebhookAAD binds a kept secret to its column too: a copy of the
// current one's ciphertext does not open there.
func previousWebhookAAD(id int64) string {
	return "tokendesk/webhook/" + strconv.FormatInt(id, 10) + "/previous-secret"
}

// CreateWebhook stores an endpoint with its secret (sealed) and events.
func (s *Store) CreateWebhook(ctx context.Context, url string, events []string, secret, actor string) (int64, error) {
	now := ms(s.Now())
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO webhooks (url, secret, created_at, created_by, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, url, []byte{}, now, actor, now, actor).Scan(&id)
		if err != nil {
			return fmt.Errorf("store: creating webhook: %w", err)
		}
		if err := s.putWebhookSecret(ctx, tx, id, secret); err != nil {
			return err
		}
		if err := putWebhookEvents(ctx, tx, id, events); err != nil {
			return err
		}
		return insertAudit(ctx, tx, Audit{At: fromMS(now), Actor: actor, Action: "webhook.create", Subject: auditURL(url)})
	})
	return id, err
}

// UpdateWebhook changes an endpoint's URL and events.
func (s *Store) UpdateWebhook(ctx context.Context, id int64, url string, events []string, actor string) error {
	now := ms(s.Now())
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE webhooks SET url = ?, updated_at = ?, updated_by = ? WHERE id = ?", url, now, actor, id)
		if err != nil {
			return fmt.Errorf("store: updating webhook: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM webhook_events WHERE webhook_id = ?", id); err != nil {
			return fmt.Errorf("store: updating webhook: %w", err)
		}
		if err := putWebhookEvents(ctx, tx, id, events); err != nil {
			return err
		}
		return insertAudit(ctx, tx, Audit{At: fromMS(now), Actor: actor, Action: "webhook.update", Subject: auditURL(url)})
	})
}

// RotateWebhookSecret replaces an endpoint's secret; deliveries not yet
// sent are signed with the new one and, for SecretOverlap, with the one it
// replaces as well (a secret kept from an earlier rotation is dropped).
func (s *Store) RotateWebhookSecret(ctx context.Context, id int64, secret, actor string) error {
	now := ms(s.Now())
	return s.tx(ctx, func(tx *sql.Tx) error {
		var url string
		var sealed []byte
		err := tx.QueryRowContext(ctx, "UPDATE webhooks SET updated_at = ?, updated_by = ? WHERE id = ? RETURNING url, secret", now, actor, id).Scan(&url, &sealed)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: rotating webhook secret: %w", err)
		}
		old, err := s.box.Open(sealed, webhookAAD(id))
		if err != nil {
			return fmt.Errorf("store: webhook %d secret: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE webhooks SET previous_secret = ?, previous_until = ? WHERE id = ?",
			s.box.Seal(old, previousWebhookAAD(id)), now+SecretOverlap.Milliseconds(), id); err != nil {
			return fmt.Errorf("store: rotating webhook secret: %w", err)
		}
		if err := s.putWebhookSecret(ctx, tx, id, secret); err != nil {
			return err
		}
		return insertAudit(ctx, tx, Audit{At: fromMS(now), Actor: actor, Action: "webhook.secret", Subject: auditURL(url), Fields: []string{"secret"}})
	})
}

// DeleteWebhook removes an endpoint, its pending deliveries and their history.
func (s *Store) DeleteWebhook(ctx context.Context, id int64, actor string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var url string
		err := tx.QueryRowContext(ctx, "DELETE FROM webhooks WHERE id = ? RETURNING url", id).Scan(&url)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: deleting webhook: %w", err)
		}
		return insertAudit(ctx, tx, Audit{At: s.Now(), Actor: actor, Action: "webhook.delete", Subject: auditURL(url)})
	})
}

func (s *Store) putWebhookSecret(ctx context.Context, tx *sql.Tx, id int64, secret string) error {
	sealed := s.box.Seal([]byte(secret), webhookAAD(id))
	if _, err := tx.ExecContext(ctx, "UPDATE webhooks SET secret = ? WHERE id = ?", sealed, id); err != nil {
		return fmt.Errorf("store: webhook secret: %w", err)
	}
	return nil
}

func putWebhookEvents(ctx context.Context, tx *sql.Tx, id int64, events []string) error {
	for _, ev := range events {
		if _, err := tx.ExecContext(ctx, "INSERT INTO webhook_events (webhook_id, event) VALUES (?, ?) ON CONFLICT DO NOTHING", id, ev); err != nil {
			return fmt.Errorf("store: webhook events: %w", err)
		}
	}
	return nil
}

// Webhooks lists every endpoint, oldest first.
func (s *Store) Webhooks(ctx context.Context) ([]Webhook, error) {
	return s.webhooks(ctx, "SELECT id, url, created_at, created_by, updated_at, updated_by, coalesce(previous_until, 0) FROM webhooks ORDER BY id")
}

// WebhookByID loads one endpoint.
func (s *Store) WebhookByID(ctx context.Context, id int64) (Webhook, error) {
	out, err := s.webhooks(ctx, "SELECT id, url, created_at, created_by, updated_at, updated_by, coalesce(previous_until, 0) FROM webhooks WHERE id = ?", id)
	if err != nil {
		return Webhook{}, err
	}
	if len(out) == 0 {
		return Webhook{}, ErrNotFound
	}
	return out[0], nil
}

func (s *Store) webhooks(ctx context.Context, query string, args ...any) ([]Webhook, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: webhooks: %w", err)
	}
	var out []Webhook
	for rows.Next() {
		var w Webhook
		var created, updated, previousUntil int64
		if err := rows.Scan(&w.ID, &w.URL, &created, &w.CreatedBy, &updated, &w.UpdatedBy, &previousUntil); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: webhooks: %w", err)
		}
		w.CreatedAt, w.UpdatedAt = fromMS(created), fromMS(updated)
		if previousUntil > ms(s.Now()) {
			w.PreviousUntil = fromMS(previousUntil)
		}
		out = append(out, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: webhooks: %w", err)
	}
	for i := range out {
		evRows, err := s.read.QueryContext(ctx, "SELECT event FROM webhook_events WHERE webhook_id = ?", out[i].ID)
		if err != nil {
			return nil, fmt.Errorf("store: webhook events: %w", err)
		}
		for evRows.Next() {
			var ev string
			if err := evRows.Scan(&ev); err != nil {
				evRows.Close()
				return nil, fmt.Errorf("store: webhook events: %w", err)
			}
			out[i].Events = append(out[i].Events, ev)
		}
		evRows.Close()
		// In the form's order.
		slices.SortFunc(out[i].Events, func(a, b string) int { return slices.Index(Events, a) - slices.Index(Events, b) })
	}
	return out, nil
}

// Deliveries lists an endpoint's latest deliveries, newest first, each
// with its attempts, newest first.
func (s *Store) Deliveries(ctx context.Context, webhookID int64, limit int) ([]Delivery, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, webhook_id, msg_id, event, body, created_at, state, attempts, coalesce(next_attempt_at, 0)
		FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ?`, webhookID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var created, next int64
		if err := rows.Scan(&d.ID, &d.WebhookID, &d.MsgID, &d.Event, &d.Body, &created, &d.State, &d.Attempts, &next); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: deliveries: %w", err)
		}
		d.CreatedAt = fromMS(created)
		if next != 0 {
			d.NextAt = fromMS(next)
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	for i := range out {
		if out[i].Tries, err = s.attempts(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) attempts(ctx context.Context, deliveryID int64) ([]Attempt, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT at, status, excerpt, error, duration_ms FROM webhook_attempts WHERE delivery_id = ? ORDER BY id DESC", deliveryID)
	if err != nil {
		return nil, fmt.Errorf("store: attempts: %w", err)
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var a Attempt
		var at, dur int64
		if err := rows.Scan(&at, &a.Status, &a.Excerpt, &a.Error, &dur); err != nil {
			return nil, fmt.Errorf("store: attempts: %w", err)
		}
		a.At, a.Duration = fromMS(at), time.Duration(dur)*time.Millisecond
		out = append(out, a)
	}
	return out, rows.Err()
}

// TokenEvent is the data of an event about a token: what a person sees on
// the token's page, never a secret or a token value.
type TokenEvent struct {
	TokenID  int64  `json:"token_id"`
	Name     string `json:"name"`
	Scope    string `json:"scope"` // "global" or "app"
	AppID    int64  `json:"app_id,omitempty"`
	App      string `json:"app,omitempty"`
	Provider string `json:"provider"`
	Status   string `json:"status"`
	Error    string `json:"error,omitempty"`
	Failures int    `json:"failures,omitempty"`
	// FailingSince: when the current run of failures began.
	FailingSince string `json:"failing_since,omitempty"`
	// ExpiresAt, with Expiring saying what runs out (token.expiring).
	ExpiresAt string `json:"expires_at,omitempty"`
	Expiring  string `json:"expiring,omitempty"`
	// token.changed: what a person did, to which fields (names only), who.
	Action string   `json:"action,omitempty"`
	Fields []string `json:"fields,omitempty"`
	By     string   `json:"by,omitempty"`
}

// Event is what a delivery's body carries.
type Event struct {
	Type      string `json:"type"`
	Timestamp string `json:"timestamp"`
	Data      any    `json:"data"`
}

// tokenEvent reads what an event says about token id, inside tx.
func tokenEvent(ctx context.Context, tx *sql.Tx, id int64, now time.Time) (TokenEvent, error) {
	t, err := scanToken(tx.QueryRowContext(ctx, "SELECT "+tokenCols+" FROM tokens WHERE id = ?", id))
	if err != nil {
		return TokenEvent{}, err
	}
	var failingSince sql.NullInt64
	var app sql.NullString
	err = tx.QueryRowContext(ctx, "SELECT t.failing_since, a.name FROM tokens t LEFT JOIN apps a ON a.id = t.app_id WHERE t.id = ?", id).Scan(&failingSince, &app)
	if err != nil {
		return TokenEvent{}, fmt.Errorf("store: event: %w", err)
	}
	ev := TokenEvent{TokenID: t.ID, Name: t.Name, Scope: "global", Provider: t.Provider,
		Status: token.Status(t.Rate, t.Renewal, now), Error: t.LastError, Failures: t.Failures}
	if t.AppID != 0 {
		ev.Scope, ev.AppID, ev.App = "app", t.AppID, app.String
	}
	if failingSince.Valid {
		ev.FailingSince = rfc3339(fromMS(failingSince.Int64))
	}
	if !t.ExpiresAt.IsZero() {
		ev.ExpiresAt = rfc3339(t.ExpiresAt)
	}
	return ev, nil
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// NewMessageID is a Standard Webhooks message id: unique per event, the
// same on every retry, so that receivers can drop duplicates.
func NewMessageID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "msg_" + hex.EncodeToString(b)
}

// enqueue writes one delivery of ev for every endpoint that chose its
// type, inside tx: the outbox is written with the change that causes the
// event, or not at all.
func enqueue(ctx context.Context, tx *sql.Tx, typ string, data any, now time.Time) error {
	body, err := json.Marshal(Event{Type: typ, Timestamp: rfc3339(now), Data: data})
	if err != nil {
		return fmt.Errorf("store: event: %w", err)
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO webhook_deliveries (webhook_id, msg_id, event, body, created_at, next_attempt_at)
		SELECT webhook_id, CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT)
		FROM webhook_events WHERE event = ?`,
		NewMessageID(), typ, string(body), ms(now), ms(now), typ)
	if err != nil {
		return fmt.Errorf("store: queueing event: %w", err)
	}
	return nil
}

// enqueueToken queues an event about token id with the token's data as it
// is now in tx; edit may add to it (token.changed, token.expiring).
func enqueueToken(ctx context.Context, tx *sql.Tx, typ string, id int64, now time.Time, edit func(*TokenEvent)) error {
	ev, err := tokenEvent(ctx, tx, id, now)
	if err != nil {
		return err
	}
	if edit != nil {
		edit(&ev)
	}
	return enqueue(ctx, tx, typ, ev, now)
}

// QueueTestEvent queues a webhook.test delivery for one endpoint and
// returns its id (Send test event).
func (s *Store) QueueTestEvent(ctx context.Context, webhookID int64, actor string) (int64, error) {
	now := s.Now()
	body, err := json.Marshal(Event{Type: EventTest, Timestamp: rfc3339(now), Data: map[string]string{"by": actor,
		"message": "A test event from tokendesk: this endpoint receives its notifications."}})
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, msg_id, event, body, created_at, next_attempt_at)
			SELECT id, CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT) FROM webhooks WHERE id = ? RETURNING id`,
			NewMessageID(), EventTest, string(body), ms(now), ms(now), webhookID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: queueing test event: %w", err)
		}
		return nil
	})
	return id, err
}

// NotifyNeedsReconnect queues token.needs_reconnect for token id: the
// service refused its refresh token and a person must connect it again.
// Call it inside the transaction that records that state.
func NotifyNeedsReconnect(ctx context.Context, tx *sql.Tx, id int64, now time.Time) error {
	return enqueueToken(ctx, tx, EventNeedsReconnect, id, now, nil)
}

// Expiring kinds.
const (
	ExpiringAccessToken  = "access_token"
	ExpiringRefreshToken = "refresh_token"
)

// NotifyExpiring queues token.expiring for token id once per expiry: what
// (ExpiringAccessToken or ExpiringRefreshToken) runs out at expires and
// nothing will renew it. It reports whether it queued the event (false:
// already sent for this expiry). The refresh-token lifetime work calls it.
func NotifyExpiring(ctx context.Context, tx *sql.Tx, id int64, what string, expires, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, "INSERT INTO expiry_notices (token_id, what, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", id, what, ms(expires))
	if err != nil {
		return false, fmt.Errorf("store: expiry notice: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, enqueueToken(ctx, tx, EventTokenExpiring, id, now, func(ev *TokenEvent) {
		ev.Expiring, ev.ExpiresAt = what, rfc3339(expires)
	})
}

// NoticeExpiring queues token.expiring, once per expiry, for every access
// token that runs out within `within` of now with nothing to renew it
// (Renewal Rate Disabled, or renewal stopped: Needs attention), and for
// every refresh token that runs out within token.RefreshWarning (nothing
// renews a refresh token: a person must reconnect, and the list starts
// saying "Reconnect within N days" then). It returns how many it queued.
func (s *Store) NoticeExpiring(ctx context.Context, now time.Time, within time.Duration) (int, error) {
	n := 0
	for _, kind := range []struct {
		what   string
		within time.Duration
		query  string
	}{
		{ExpiringAccessToken, within, `SELECT t.id, t.expires_at FROM tokens t
		WHERE t.expires_at > ? AND t.expires_at <= ?
		  AND (t.renewal_rate = 'disabled' OR t.attention_since IS NOT NULL)
		  AND NOT EXISTS (SELECT 1 FROM expiry_notices n WHERE n.token_id = t.id AND n.what = ? AND n.expires_at = t.expires_at)`},
		{ExpiringRefreshToken, token.RefreshWarning, `SELECT t.id, t.refresh_expires_at FROM tokens t
		WHERE t.refresh_expires_at > ? AND t.refresh_expires_at <= ? AND t.needs_reconnect = 0
		  AND NOT EXISTS (SELECT 1 FROM expiry_notices n WHERE n.token_id = t.id AND n.what = ? AND n.expires_at = t.refresh_expires_at)`},
	} {
		queued, err := s.noticeExpiring(ctx, kind.what, kind.query, now, kind.within)
		n += queued
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (s *Store) noticeExpiring(ctx context.Context, what, query string, now time.Time, within time.Duration) (int, error) {
	rows, err := s.read.QueryContext(ctx, query, ms(now), ms(now.Add(within)), what)
	if err != nil {
		return 0, fmt.Errorf("store: expiring tokens: %w", err)
	}
	type due struct{ id, at int64 }
	var list []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.at); err != nil {
			rows.Close()
			return 0, fmt.Errorf("store: expiring tokens: %w", err)
		}
		list = append(list, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: expiring tokens: %w", err)
	}
	n := 0
	for _, d := range list {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			queued, err := NotifyExpiring(ctx, tx, d.id, what, fromMS(d.at), now)
			if queued {
				n++
			}
			return err
		})
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// ClaimDeliveries leases up to limit deliveries due at now to owner, with
// their endpoint's URL and opened secret.
func (s *Store) ClaimDeliveries(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]Delivery, error) {
	rows, err := s.write.QueryContext(ctx, `
		UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ?
		WHERE id IN (
			SELECT id FROM webhook_deliveries
			WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ?
			  AND (lease_until IS NULL OR lease_until <= ?)
			ORDER BY next_attempt_at LIMIT ?`+s.d.skipLocked()+`)
		RETURNING id`, owner, ms(now.Add(lease)), ms(now), ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: claiming deliveries: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: claiming deliveries: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: claiming deliveries: %w", err)
	}
	slices.Sort(ids)
	return s.claimed(ctx, owner, ids, now)
}

// ClaimDelivery leases one delivery for an attempt now (Send test event).
func (s *Store) ClaimDelivery(ctx context.Context, id int64, owner string, now time.Time, lease time.Duration) (Delivery, error) {
	res, err := s.write.ExecContext(ctx, `UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ?
		WHERE id = ? AND next_attempt_at IS NOT NULL AND (lease_until IS NULL OR lease_until <= ?)`,
		owner, ms(now.Add(lease)), id, ms(now))
	if err != nil {
		return Delivery{}, fmt.Errorf("store: claiming delivery: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Delivery{}, ErrLeased
	}
	out, err := s.claimed(ctx, owner, []int64{id}, now)
	if err != nil {
		return Delivery{}, err
	}
	if len(out) == 0 {
		return Delivery{}, ErrNotFound
	}
	return out[0], nil
}

func (s *Store) claimed(ctx context.Context, owner string, ids []int64, now time.Time) ([]Delivery, error) {
	var out []Delivery
	for _, id := range ids {
		var d Delivery
		var created int64
		var sealed, previous []byte
		var previousUntil sql.NullInt64
		err := s.write.QueryRowContext(ctx, `SELECT d.id, d.webhook_id, d.msg_id, d.event, d.body, d.created_at, d.attempts, w.url, w.secret,
			w.previous_secret, w.previous_until
			FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = ?`, id).
			Scan(&d.ID, &d.WebhookID, &d.MsgID, &d.Event, &d.Body, &created, &d.Attempts, &d.URL, &sealed, &previous, &previousUntil)
		if errors.Is(err, sql.ErrNoRows) {
			continue // its endpoint was deleted meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("store: claimed delivery: %w", err)
		}
		secret, err := s.box.Open(sealed, webhookAAD(d.WebhookID))
		if err != nil {
			return nil, fmt.Errorf("store: webhook %d secret: %w", d.WebhookID, err)
		}
		if previousUntil.Valid && now.Before(fromMS(previousUntil.Int64)) && len(previous) > 0 {
			old, err := s.box.Open(previous, previousWebhookAAD(d.WebhookID))
			if err != nil {
				return nil, fmt.Errorf("store: webhook %d previous secret: %w", d.WebhookID, err)
			}
			d.PreviousSecret = string(old)
		}
		d.CreatedAt, d.Secret, d.Owner, d.State = fromMS(created), string(secret), owner, DeliveryPending
		out = append(out, d)
	}
	return out, nil
}

// RecordAttempt records an attempt at a claimed delivery and what comes
// next: state DeliveryPending with a retry time, or a final state.
func (s *Store) RecordAttempt(ctx context.Context, d Delivery, a Attempt, state string, next time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, state = ?, next_attempt_at = ?,
			lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?`,
			state, nullMS(next), d.ID, d.Owner)
		if err != nil {
			return fmt.Errorf("store: recording attempt: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrLeaseLost
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO webhook_attempts (delivery_id, at, status, excerpt, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)`,
			d.ID, ms(a.At), a.Status, a.Excerpt, a.Error, a.Duration.Milliseconds())
		if err != nil {
			return fmt.Errorf("store: recording attempt: %w", err)
		}
		return nil
	})
}

// NextDelivery is when the earliest pending delivery is due (zero: none).
func (s *Store) NextDelivery(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	if err := s.read.QueryRowContext(ctx, "SELECT min(next_attempt_at) FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL").Scan(&next); err != nil {
		return time.Time{}, fmt.Errorf("store: next delivery: %w", err)
	}
	return fromNullMS(next), nil
}

// personKey marks work a person asked for in the console (Renew now), as
// opposed to the worker or an API client's on-demand renewal.
type personKey struct{}

// ByPerson marks ctx as a person's own action: a renewal under it sends
// token.changed.
func ByPerson(ctx context.Context) context.Context { return context.WithValue(ctx, personKey{}, true) }

func byPerson(ctx context.Context) bool { v, _ := ctx.Value(personKey{}).(bool); return v }

// failingTransitions sends what a failed renewal changes, as the renewal
// policy decided it (token.AfterFailure): renewal.failing once a run of
// failures is long enough, and, once it has lasted long enough, stops
// automatic renewal (Needs attention) and sends renewal.stopped.
func failingTransitions(ctx context.Context, tx *sql.Tx, id int64, f token.Failed, now time.Time) error {
	if f.Announce {
		if err := enqueueToken(ctx, tx, EventRenewalFailing, id, now, nil); err != nil {
			return err
		}
	}
	if !f.Stop {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "UPDATE tokens SET attention_since = ?, next_renewal_at = NULL WHERE id = ?", ms(now), id); err != nil {
		return fmt.Errorf("store: stopping renewal: %w", err)
	}
	return enqueueToken(ctx, tx, EventRenewalStopped, id, now, nil)
}

// NotifyNeedsReconnectNow is NotifyNeedsReconnect in a transaction of its
// own, for callers outside the store.
func (s *Store) NotifyNeedsReconnectNow(ctx context.Context, id int64, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return NotifyNeedsReconnect(ctx, tx, id, now) })
}
