-- +goose Up
-- The token list's banner counts (Renewal failing, Needs reconnect, …) are
-- kept between views while the change log shows no write (store
-- status_counts.go). The log already has every write to a token's name,
-- scope, type, version, expiry and reconnect flag; this adds the other
-- columns a status is decided from, so that a renewal that fails, a rate
-- turned off or a refresh token's new end is a change too.
-- +goose StatementBegin
CREATE TRIGGER changes_token_state AFTER UPDATE ON tokens
WHEN OLD.failures IS NOT NEW.failures OR OLD.renewal_rate IS NOT NEW.renewal_rate
  OR OLD.attention_since IS NOT NEW.attention_since OR OLD.needs_secret IS NOT NEW.needs_secret
  OR OLD.refresh_expires_at IS NOT NEW.refresh_expires_at OR OLD.next_renewal_at IS NOT NEW.next_renewal_at
BEGIN
    INSERT INTO changes (kind, token_id) VALUES ('value', NEW.id);
END;
-- +goose StatementEnd
