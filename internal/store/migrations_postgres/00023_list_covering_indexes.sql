-- +goose Up
-- SQLite's 00023 (see there), in PostgreSQL's spelling.
DROP INDEX tokens_scope_expires_on;
CREATE INDEX tokens_scope_expires_on ON tokens (coalesce(app_id, 0), expires_at, renewal_rate, failures,
    needs_reconnect, refresh_expires_at, needs_secret, attention_since, next_renewal_at, provider, name_key, updated_at)
    WHERE renewal_rate != 'disabled';

DROP INDEX tokens_scope_expired_off;
CREATE INDEX tokens_scope_expired_off ON tokens (coalesce(app_id, 0), expires_at, renewal_rate, failures,
    needs_reconnect, refresh_expires_at, needs_secret, attention_since, next_renewal_at, provider, name_key, updated_at)
    WHERE renewal_rate IN ('disabled', '');

DROP INDEX tokens_scope_failing;
CREATE INDEX tokens_scope_failing ON tokens (coalesce(app_id, 0), failures, renewal_rate, attention_since, needs_reconnect,
    refresh_expires_at, needs_secret, expires_at, next_renewal_at, provider, name_key, updated_at) WHERE failures > 0;

DROP INDEX tokens_scope_updated;
CREATE INDEX tokens_scope_updated ON tokens (coalesce(app_id, 0), updated_at, id, name_key, provider, renewal_rate, expires_at,
    failures, needs_reconnect, refresh_expires_at, needs_secret, attention_since, next_renewal_at);
