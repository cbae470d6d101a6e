-- +goose Up
-- The tokens that say "Needs reconnect" (a grant refused for good, or a
-- refresh token that ran out) are counted on every /metrics scrape and
-- listed by the Status filter: an index holding only the tokens that can
-- be in that state keeps both from reading every token.
CREATE INDEX tokens_reconnect ON tokens (refresh_expires_at)
    WHERE needs_reconnect = 1 OR refresh_expires_at IS NOT NULL;
