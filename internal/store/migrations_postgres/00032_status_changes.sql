-- +goose Up
-- SQLite's 00032 (see there), in PostgreSQL's spelling.
CREATE TRIGGER changes_token_state AFTER UPDATE ON tokens
    FOR EACH ROW WHEN (OLD.failures IS DISTINCT FROM NEW.failures OR OLD.renewal_rate IS DISTINCT FROM NEW.renewal_rate
        OR OLD.attention_since IS DISTINCT FROM NEW.attention_since OR OLD.needs_secret IS DISTINCT FROM NEW.needs_secret
        OR OLD.refresh_expires_at IS DISTINCT FROM NEW.refresh_expires_at OR OLD.next_renewal_at IS DISTINCT FROM NEW.next_renewal_at)
    EXECUTE FUNCTION changes_log('value', 'id');
