-- +goose NO TRANSACTION
-- +goose Up
-- A consent trip is bound to the token it started for (issue 18.1).
--
-- tokens.id was `INTEGER PRIMARY KEY` without AUTOINCREMENT: SQLite then
-- hands the newest id out again after that token is removed, so a trip
-- started for a removed token could land on the token created after it
-- (a global one, say). The table is rebuilt with AUTOINCREMENT, which
-- never reuses an id, and with consent_key: a random value per token that
-- a trip carries and the callback compares, so even a token that somehow
-- had the same id would not match.
--
-- SQLite cannot add AUTOINCREMENT in place: the table is copied into a new
-- one (https://sqlite.org/lang_altertable.html#otheralter). Dropping the
-- old table with foreign keys on would cascade to every row that points
-- at a token, so foreign keys are off for the rebuild, which runs outside
-- goose's transaction in its own; every row keeps its id, so every row
-- that points at a token still does. Every index and trigger of tokens is
-- made again as it was (00001 to 00017). The write pool has one connection, so the pragma
-- and the transaction apply to the same one.
PRAGMA foreign_keys = OFF;

BEGIN IMMEDIATE;

DROP TABLE IF EXISTS tokens_rebuilt;

CREATE TABLE tokens_rebuilt (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id       INTEGER,                       -- NULL: a global token
    provider     TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    name_key     TEXT    NOT NULL,              -- case-folded name, for uniqueness
    description  TEXT    NOT NULL DEFAULT '',
    encrypted    INTEGER NOT NULL DEFAULT 1,
    renewal_rate TEXT    NOT NULL DEFAULT 'disabled',
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    created_by   TEXT    NOT NULL,
    updated_at   INTEGER NOT NULL,
    updated_by   TEXT    NOT NULL,
    -- renewal state, kept by the renewal worker
    expires_at      INTEGER,
    last_renewed_at INTEGER,
    next_renewal_at INTEGER,
    failures        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    last_error_at   INTEGER,
    lease_owner     TEXT,
    lease_until     INTEGER,
    needs_reconnect    INTEGER NOT NULL DEFAULT 0,
    refresh_expires_at INTEGER,
    failing_since      INTEGER,
    attention_since    INTEGER,
    -- a consent trip carries it; the callback saves only onto a token
    -- whose key is still the one the trip left with
    consent_key  TEXT    NOT NULL DEFAULT (lower(hex(randomblob(16))))
) STRICT;

INSERT INTO tokens_rebuilt (id, app_id, provider, name, name_key, description, encrypted, renewal_rate, version,
    created_at, created_by, updated_at, updated_by, expires_at, last_renewed_at, next_renewal_at, failures,
    last_error, last_error_at, lease_owner, lease_until, needs_reconnect, refresh_expires_at, failing_since, attention_since)
SELECT id, app_id, provider, name, name_key, description, encrypted, renewal_rate, version,
    created_at, created_by, updated_at, updated_by, expires_at, last_renewed_at, next_renewal_at, failures,
    last_error, last_error_at, lease_owner, lease_until, needs_reconnect, refresh_expires_at, failing_since, attention_since
FROM tokens;

DROP TABLE tokens;
ALTER TABLE tokens_rebuilt RENAME TO tokens;

-- Ids the database still remembers (a removed token's in the change log,
-- a trip's in oauth_states) are not handed out either.
INSERT INTO sqlite_sequence (name, seq)
SELECT 'tokens', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'tokens');
UPDATE sqlite_sequence SET seq = max(seq,
    ifnull((SELECT max(id) FROM tokens), 0),
    ifnull((SELECT max(token_id) FROM changes), 0),
    ifnull((SELECT max(token_id) FROM oauth_states), 0))
WHERE name = 'tokens';

CREATE UNIQUE INDEX tokens_scope_name ON tokens (ifnull(app_id, 0), name_key);
CREATE INDEX tokens_next_renewal ON tokens (next_renewal_at) WHERE next_renewal_at IS NOT NULL;
CREATE INDEX tokens_scope_provider ON tokens (ifnull(app_id, 0), provider, name_key);
CREATE INDEX tokens_scope_updated ON tokens (ifnull(app_id, 0), updated_at);
CREATE INDEX tokens_scope_failing ON tokens (ifnull(app_id, 0)) WHERE failures > 0;
CREATE INDEX tokens_scope_expires ON tokens (ifnull(app_id, 0), expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX tokens_expires ON tokens (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX tokens_name_key ON tokens (name_key);
CREATE INDEX tokens_reconnect ON tokens (refresh_expires_at)
    WHERE needs_reconnect = 1 OR refresh_expires_at IS NOT NULL;

-- +goose StatementBegin
CREATE TRIGGER changes_token_insert AFTER INSERT ON tokens BEGIN
    INSERT INTO changes (kind, token_id) VALUES ('name', NEW.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER changes_token_delete AFTER DELETE ON tokens BEGIN
    INSERT INTO changes (kind, token_id) VALUES ('name', OLD.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER changes_token_rename AFTER UPDATE ON tokens
WHEN OLD.name_key IS NOT NEW.name_key OR OLD.app_id IS NOT NEW.app_id OR OLD.provider IS NOT NEW.provider
BEGIN
    INSERT INTO changes (kind, token_id) VALUES ('name', NEW.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER changes_token_update AFTER UPDATE ON tokens
WHEN OLD.version IS NOT NEW.version OR OLD.expires_at IS NOT NEW.expires_at
  OR OLD.last_renewed_at IS NOT NEW.last_renewed_at OR OLD.name IS NOT NEW.name
BEGIN
    INSERT INTO changes (kind, token_id) VALUES ('value', NEW.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER token_counts_insert AFTER INSERT ON tokens BEGIN
    UPDATE token_counts SET total = total + 1, disabled = disabled + (NEW.renewal_rate = 'disabled');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER token_counts_delete AFTER DELETE ON tokens BEGIN
    UPDATE token_counts SET total = total - 1, disabled = disabled - (OLD.renewal_rate = 'disabled');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER token_counts_rate AFTER UPDATE OF renewal_rate ON tokens
WHEN OLD.renewal_rate IS NOT NEW.renewal_rate
BEGIN
    UPDATE token_counts SET disabled = disabled + (NEW.renewal_rate = 'disabled') - (OLD.renewal_rate = 'disabled');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER provider_counts_insert AFTER INSERT ON tokens BEGIN
    INSERT INTO provider_counts (provider, total) VALUES (NEW.provider, 1)
    ON CONFLICT (provider) DO UPDATE SET total = total + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER provider_counts_delete AFTER DELETE ON tokens BEGIN
    UPDATE provider_counts SET total = total - 1 WHERE provider = OLD.provider;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER scope_token_counts_insert AFTER INSERT ON tokens BEGIN
    INSERT INTO scope_token_counts (scope, total) VALUES (ifnull(NEW.app_id, 0), 1)
    ON CONFLICT (scope) DO UPDATE SET total = total + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER scope_token_counts_delete AFTER DELETE ON tokens BEGIN
    UPDATE scope_token_counts SET total = total - 1 WHERE scope = ifnull(OLD.app_id, 0);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER scope_token_counts_move AFTER UPDATE OF app_id ON tokens
WHEN OLD.app_id IS NOT NEW.app_id
BEGIN
    UPDATE scope_token_counts SET total = total - 1 WHERE scope = ifnull(OLD.app_id, 0);
    INSERT INTO scope_token_counts (scope, total) VALUES (ifnull(NEW.app_id, 0), 1)
    ON CONFLICT (scope) DO UPDATE SET total = total + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER changes_token_reconnect AFTER UPDATE ON tokens
WHEN OLD.needs_reconnect IS NOT NEW.needs_reconnect
BEGIN
    INSERT INTO changes (kind, token_id) VALUES ('value', NEW.id);
END;
-- +goose StatementEnd

-- The session a consent trip started in (a hash of a hash of its id, as
-- the Sessions page names sessions): the callback must come back to it.
-- Added by copying the table (as tokens above) rather than ALTER TABLE
-- ADD COLUMN, which SQLite cannot skip when the column is there: every
-- statement of this file can run again after a crash between its COMMIT
-- and goose recording the version. (A re-run copies the trips without
-- their session_ref; none can have started, since nothing serves before
-- the migrations are recorded.)
DROP TABLE IF EXISTS oauth_states_rebuilt;
CREATE TABLE oauth_states_rebuilt (
    id          INTEGER PRIMARY KEY,
    state_hash  TEXT    NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    app_id      INTEGER NOT NULL DEFAULT 0, -- 0: the global scope
    provider    TEXT    NOT NULL,
    token_id    INTEGER NOT NULL DEFAULT 0, -- 0: a new token
    reconnect   INTEGER NOT NULL DEFAULT 0, -- 1: Reconnect, saved by the callback
    draft       BLOB    NOT NULL,
    verifier    BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,           -- ms
    expires_at  INTEGER NOT NULL,           -- ms
    used_at     INTEGER,                    -- ms
    result      BLOB,
    session_ref TEXT    NOT NULL DEFAULT ''
) STRICT;
INSERT INTO oauth_states_rebuilt (id, state_hash, user_id, app_id, provider, token_id, reconnect, draft, verifier,
    created_at, expires_at, used_at, result)
SELECT id, state_hash, user_id, app_id, provider, token_id, reconnect, draft, verifier,
    created_at, expires_at, used_at, result
FROM oauth_states;
DROP TABLE oauth_states;
ALTER TABLE oauth_states_rebuilt RENAME TO oauth_states;
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);

-- One-time hand-overs (a new API key, a webhook secret) travel in a sealed
-- cookie; the page that shows one records its random id here, so a copy
-- of the cookie shows nothing a second time, on any replica (issue 18.8).
-- Rows are dropped once the cookie they name has expired.
CREATE TABLE IF NOT EXISTS used_once (
    hash       TEXT    PRIMARY KEY,  -- SHA-256 of the hand-over's random id
    expires_at INTEGER NOT NULL      -- ms
) STRICT;
CREATE INDEX IF NOT EXISTS used_once_expires ON used_once (expires_at);

COMMIT;

PRAGMA foreign_keys = ON;
