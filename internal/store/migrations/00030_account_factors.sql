-- +goose Up
-- Issue 23: people look after their own account. must_change_password is
-- set when an administrator typed someone's first password (that person
-- must choose their own at first sign-in); totp_last_step is the last
-- 30-second step whose one-time code was accepted, so a code seen over a
-- shoulder cannot be used again within its window.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;

-- A second factor: a TOTP secret or a passkey. secret is sealed (the TOTP
-- secret, or the WebAuthn credential as JSON) and bound to the row's id;
-- credential_id is the passkey's public identifier, for the browser's
-- allow-list. A TOTP factor counts only once confirmed with a code.
CREATE TABLE user_factors (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL CHECK (kind IN ('totp', 'passkey')),
    name          TEXT    NOT NULL,
    secret        BLOB    NOT NULL,
    credential_id BLOB,
    confirmed     INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
) STRICT;
CREATE INDEX user_factors_user ON user_factors (user_id);

-- Single-use recovery codes, stored as SHA-256 (they are random, so a
-- plain hash is enough); used_at marks one spent.
CREATE TABLE recovery_codes (
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BLOB    NOT NULL,
    used_at   INTEGER,
    PRIMARY KEY (user_id, code_hash)
) STRICT;

-- Invitations: the link's secret is stored as SHA-256 only; single use
-- (used_at) and expiring (expires_at, Unix ms). app_id names the app a
-- designer is invited to design.
CREATE TABLE invitations (
    id         INTEGER PRIMARY KEY,
    token_hash BLOB    NOT NULL UNIQUE,
    email      TEXT    NOT NULL,
    role       TEXT    NOT NULL CHECK (role IN ('admin', 'designer')),
    app_id     INTEGER REFERENCES apps (id) ON DELETE SET NULL,
    invited_by TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;
