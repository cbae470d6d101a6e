-- +goose Up
-- SQLite's 00017 (see there), in PostgreSQL's spelling.
CREATE INDEX tokens_reconnect ON tokens (refresh_expires_at)
    WHERE needs_reconnect = 1 OR refresh_expires_at IS NOT NULL;
