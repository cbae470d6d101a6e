-- +goose Up
-- Times are Unix milliseconds (UTC).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'designer')),
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

-- Sessions live server-side so that logout and "sign out everywhere" really
-- revoke them. Only a hash of the cookie value is kept.
CREATE TABLE sessions (
    id_hash      TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    data         TEXT    NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    ip           TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE tokens (
    id           INTEGER PRIMARY KEY,
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
    lease_until     INTEGER
) STRICT;
CREATE UNIQUE INDEX tokens_scope_name ON tokens (ifnull(app_id, 0), name_key);
CREATE INDEX tokens_next_renewal ON tokens (next_renewal_at) WHERE next_renewal_at IS NOT NULL;

-- One row per credential value. value is AES-256-GCM sealed (bound to the
-- token id and field) unless sealed = 0, which only an administrator can
-- choose when plaintext storage is allowed.
CREATE TABLE token_values (
    token_id   INTEGER NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    field      TEXT    NOT NULL,
    value      BLOB    NOT NULL,
    sealed     INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT    NOT NULL,
    PRIMARY KEY (token_id, field)
) STRICT;

-- Field names only, never values.
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    actor    TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    subject  TEXT    NOT NULL,
    token_id INTEGER,
    provider TEXT    NOT NULL DEFAULT '',
    fields   TEXT    NOT NULL DEFAULT '',
    detail   TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
