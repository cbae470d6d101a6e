-- +goose Up
-- An unknown expiry is never "for ever": a stored access token without one
-- is taken to expire an hour after it was obtained (token.AssumedLifetime;
-- keep the two in step). Tokens stored before this rule get it now.
UPDATE tokens SET expires_at = coalesce(last_renewed_at,
        (SELECT v.updated_at FROM token_values v WHERE v.token_id = tokens.id AND v.field = 'access_token')) + 3600000
WHERE expires_at IS NULL
  AND EXISTS (SELECT 1 FROM token_values v WHERE v.token_id = tokens.id AND v.field = 'access_token');

-- The token list counts, per scope and on every view, the tokens apps
-- cannot use; each count reads only such tokens, from its own index.
-- Never connected (no access token, so no expiry).
CREATE INDEX tokens_scope_unconnected ON tokens (ifnull(app_id, 0)) WHERE expires_at IS NULL;
-- Needs reconnect: a grant refused for good, or a refresh token run out.
CREATE INDEX tokens_scope_needs_reconnect ON tokens (ifnull(app_id, 0)) WHERE needs_reconnect = 1;
CREATE INDEX tokens_scope_refresh ON tokens (ifnull(app_id, 0), refresh_expires_at) WHERE refresh_expires_at IS NOT NULL;

-- When an app last reported the token's access token refused by its service
-- (POST /api/v1/tokens/{name}/refresh), and which API client did: shown on
-- the token's page.
ALTER TABLE tokens ADD COLUMN rejected_at INTEGER;
ALTER TABLE tokens ADD COLUMN rejected_by TEXT NOT NULL DEFAULT '';

-- A token imported without a secret it needs ("Needs secret"): not renewed,
-- and refused by the runtime API, until someone enters it. Counted per scope.
ALTER TABLE tokens ADD COLUMN needs_secret INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tokens_scope_needs_secret ON tokens (ifnull(app_id, 0)) WHERE needs_secret = 1;

-- Expired with renewals Disabled: as many as a large install lets lapse, so
-- the index holds every column the count tests (covering: no table reads).
CREATE INDEX tokens_scope_expired_off ON tokens (ifnull(app_id, 0), expires_at, renewal_rate, failures,
    needs_reconnect, refresh_expires_at, needs_secret, provider) WHERE renewal_rate = 'disabled';
-- The renewed tokens' expiries, for the Expired and Expires soon filters:
-- the (many) lapsed Disabled tokens are not read to find the few renewed
-- ones that expired.
CREATE INDEX tokens_scope_expires_on ON tokens (ifnull(app_id, 0), expires_at) WHERE renewal_rate != 'disabled';
