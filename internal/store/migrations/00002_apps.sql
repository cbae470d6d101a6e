-- +goose Up
-- Applications, their designers, who may use global tokens, API clients,
-- usage of tokens through the API, and administrator settings.

CREATE TABLE apps (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    name_key   TEXT    NOT NULL UNIQUE,
    kind       TEXT    NOT NULL CHECK (kind IN ('process', 'form')),
    created_at INTEGER NOT NULL,
    created_by TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE app_designers (
    app_id  INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (app_id, user_id)
) STRICT;
CREATE INDEX app_designers_user ON app_designers (user_id);

-- Permission Settings of a global token: the apps that may use it. No row
-- means every app may (the documented default).
CREATE TABLE token_permissions (
    token_id INTEGER NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    app_id   INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    PRIMARY KEY (token_id, app_id)
) STRICT;

-- API clients fetch tokens at run time. Only a SHA-256 of the key is kept.
CREATE TABLE api_clients (
    id           INTEGER PRIMARY KEY,
    app_id       INTEGER REFERENCES apps (id) ON DELETE CASCADE, -- NULL: a global client
    name         TEXT    NOT NULL,
    key_prefix   TEXT    NOT NULL,
    key_hash     TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    created_by   TEXT    NOT NULL,
    revoked_at   INTEGER,
    last_used_at INTEGER
) STRICT;

-- App Associations: which apps fetched a token, how often, when last.
-- app_id 0 stands for global clients.
CREATE TABLE token_usage (
    token_id     INTEGER NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    app_id       INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    PRIMARY KEY (token_id, app_id)
) STRICT;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
