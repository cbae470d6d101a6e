-- +goose Up
-- The audit log remembers which app an entry belongs to, so that it can
-- show a token's scope (global or an app's) and link apps.
ALTER TABLE audit_log ADD COLUMN app_id INTEGER;

-- The token list sorts by name (tokens_scope_name), type and last change,
-- and counts failing and expiring tokens, within one scope; each of these
-- is an index so that the list stays fast with 100,000 tokens.
CREATE INDEX tokens_scope_provider ON tokens (ifnull(app_id, 0), provider, name_key);
CREATE INDEX tokens_scope_updated ON tokens (ifnull(app_id, 0), updated_at);
CREATE INDEX tokens_scope_failing ON tokens (ifnull(app_id, 0)) WHERE failures > 0;
CREATE INDEX tokens_scope_expires ON tokens (ifnull(app_id, 0), expires_at) WHERE expires_at IS NOT NULL;
