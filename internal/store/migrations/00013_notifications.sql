-- +goose Up
-- Notifications (issue 13, items 1 and 2).
--
-- Webhook endpoints that administrators keep. The signing secret is sealed
-- under the master key, like every credential; it is shown once.
CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY,
    url        TEXT    NOT NULL,
    secret     BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT    NOT NULL
) STRICT;

-- The events an endpoint receives, one row each.
CREATE TABLE webhook_events (
    webhook_id INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event      TEXT    NOT NULL,
    PRIMARY KEY (webhook_id, event)
) STRICT;
CREATE INDEX webhook_events_event ON webhook_events (event, webhook_id);

-- The outbox: one delivery per event and endpoint, written in the same
-- transaction as the change that causes the event, so that no event is
-- lost or sent for a change that did not happen. next_attempt_at NULL:
-- finished (state 'delivered' or 'failed').
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    msg_id          TEXT    NOT NULL,
    event           TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    lease_owner     TEXT,
    lease_until     INTEGER
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

-- Each attempt and the receiver's answer: status 0 is no answer (error says why).
CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    excerpt     TEXT    NOT NULL DEFAULT '',
    error       TEXT    NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

-- token.expiring is sent once per expiry: a row here says it was.
CREATE TABLE expiry_notices (
    token_id   INTEGER NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    what       TEXT    NOT NULL, -- 'access_token' or 'refresh_token'
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (token_id, what, expires_at)
) STRICT;

-- No retry storms: when the current run of failed renewals began, and
-- when automatic renewal stopped because it had failed for 3 days
-- ("Needs attention"). An edit, Renew now or a new grant clears both.
ALTER TABLE tokens ADD COLUMN failing_since INTEGER;
ALTER TABLE tokens ADD COLUMN attention_since INTEGER;
