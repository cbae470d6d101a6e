-- +goose Up
-- OAuth 2.0 authorization code (issue 11).
--
-- One row per trip to a service's consent page: the state sent with it is
-- kept only as a hash; the row binds it to the user who left, the scope
-- and token (0: a new token) and the form as it was (sealed: secrets typed
-- but not saved yet travel here, never in a URL), with the PKCE verifier
-- (sealed). A state is good for 10 minutes and once (used_at). result is
-- what the callback brought back (a grant or a refusal, sealed), shown
-- when the browser returns to the form.
CREATE TABLE oauth_states (
    id         INTEGER PRIMARY KEY,
    state_hash TEXT    NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    app_id     INTEGER NOT NULL DEFAULT 0, -- 0: the global scope
    provider   TEXT    NOT NULL,
    token_id   INTEGER NOT NULL DEFAULT 0, -- 0: a new token
    reconnect  INTEGER NOT NULL DEFAULT 0, -- 1: Reconnect, saved by the callback
    draft      BLOB    NOT NULL,
    verifier   BLOB    NOT NULL,
    created_at INTEGER NOT NULL,           -- ms
    expires_at INTEGER NOT NULL,           -- ms
    used_at    INTEGER,                    -- ms
    result     BLOB
) STRICT;
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);

-- A token whose grant the service revoked (invalid_grant on refresh) waits
-- for a person to consent again: it is not renewed until then.
ALTER TABLE tokens ADD COLUMN needs_reconnect INTEGER NOT NULL DEFAULT 0;
-- When the stored refresh token runs out, where the service says or the
-- preset knows (ms); NULL: unknown or never.
ALTER TABLE tokens ADD COLUMN refresh_expires_at INTEGER;

-- +goose StatementBegin
CREATE TRIGGER changes_token_reconnect AFTER UPDATE ON tokens
WHEN OLD.needs_reconnect IS NOT NEW.needs_reconnect
BEGIN
    INSERT INTO changes (kind, token_id) VALUES ('value', NEW.id);
END;
-- +goose StatementEnd
