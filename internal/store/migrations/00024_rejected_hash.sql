-- +goose Up
-- The SHA-256 of the access token an app last reported refused by its
-- service (POST /api/v1/tokens/{name}/refresh); never the token itself.
-- While the stored access token hashes to it, the runtime API does not hand
-- it out (review finding 1), on every replica: the change reaches each
-- one's index through the change log, as does a grant marked Needs
-- reconnect (the older trigger watches neither column).
ALTER TABLE tokens ADD COLUMN rejected_hash BLOB;

-- +goose StatementBegin
CREATE TRIGGER changes_token_unusable AFTER UPDATE ON tokens
WHEN OLD.rejected_hash IS NOT NEW.rejected_hash OR OLD.needs_reconnect IS NOT NEW.needs_reconnect
BEGIN
    INSERT INTO changes (kind, token_id) VALUES ('value', NEW.id);
END;
-- +goose StatementEnd
