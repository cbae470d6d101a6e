-- +goose Up
-- SQLite's 00024 (see there), in PostgreSQL's spelling.
ALTER TABLE tokens ADD COLUMN rejected_hash BYTEA;

CREATE TRIGGER changes_token_unusable AFTER UPDATE ON tokens
    FOR EACH ROW WHEN (OLD.rejected_hash IS DISTINCT FROM NEW.rejected_hash OR OLD.needs_reconnect IS DISTINCT FROM NEW.needs_reconnect)
    EXECUTE FUNCTION changes_log('value', 'id');
