-- +goose Up
-- SQLite's 00022 (see there), in PostgreSQL's spelling.
UPDATE tokens SET expires_at = coalesce(last_renewed_at,
        (SELECT v.updated_at FROM token_values v WHERE v.token_id = tokens.id AND v.field = 'access_token')) + 3600000
WHERE expires_at IS NULL
  AND EXISTS (SELECT 1 FROM token_values v WHERE v.token_id = tokens.id AND v.field = 'access_token');

CREATE INDEX tokens_scope_unconnected ON tokens (coalesce(app_id, 0)) WHERE expires_at IS NULL;
CREATE INDEX tokens_scope_needs_reconnect ON tokens (coalesce(app_id, 0)) WHERE needs_reconnect = 1;
CREATE INDEX tokens_scope_refresh ON tokens (coalesce(app_id, 0), refresh_expires_at) WHERE refresh_expires_at IS NOT NULL;

ALTER TABLE tokens ADD COLUMN rejected_at BIGINT;
ALTER TABLE tokens ADD COLUMN rejected_by TEXT COLLATE "C" NOT NULL DEFAULT '';

ALTER TABLE tokens ADD COLUMN needs_secret BIGINT NOT NULL DEFAULT 0;
CREATE INDEX tokens_scope_needs_secret ON tokens (coalesce(app_id, 0)) WHERE needs_secret = 1;

CREATE INDEX tokens_scope_expired_off ON tokens (coalesce(app_id, 0), expires_at, renewal_rate, failures,
    needs_reconnect, refresh_expires_at, needs_secret, provider) WHERE renewal_rate = 'disabled';
CREATE INDEX tokens_scope_expires_on ON tokens (coalesce(app_id, 0), expires_at) WHERE renewal_rate != 'disabled';
