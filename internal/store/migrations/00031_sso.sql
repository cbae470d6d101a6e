-- +goose Up
-- Single sign-on with OpenID Connect (issue 23).
--
-- sso_settings holds the one identity provider's set-up: config is the
-- JSON of every non-secret field (issuer, client id, scopes, role mapping,
-- switches, break-glass administrators); client_secret is sealed with the
-- master key and never read back to a page. tested_at records the last
-- Test sign-in that got through with the current issuer, client and
-- claim: single sign-on cannot be switched on without one.
CREATE TABLE sso_settings (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    config        TEXT    NOT NULL,
    client_secret BLOB,
    tested_at     INTEGER,           -- ms; NULL: not tested since the last change
    tested_by     TEXT    NOT NULL DEFAULT '',
    updated_at    INTEGER NOT NULL   -- ms
) STRICT;

-- One row per trip to the identity provider. The state is kept only as a
-- hash, bound to the browser that left (browser_hash: a hash of a random
-- cookie) so that a state another browser started is worthless here, and,
-- for a Test sign-in, to the administrator who started it. The nonce is
-- kept as a hash too; the PKCE verifier sealed. Good for 10 minutes, once.
CREATE TABLE sso_states (
    id           INTEGER PRIMARY KEY,
    state_hash   TEXT    NOT NULL UNIQUE,
    browser_hash TEXT    NOT NULL,
    mode         TEXT    NOT NULL CHECK (mode IN ('signin', 'test')),
    user_id      INTEGER NOT NULL DEFAULT 0, -- the administrator testing; 0 for a sign-in
    nonce_hash   TEXT    NOT NULL,
    verifier     BLOB    NOT NULL,
    next         TEXT    NOT NULL DEFAULT '',
    address      TEXT    NOT NULL DEFAULT '', -- the client address, to bound the trips one address starts
    created_at   INTEGER NOT NULL,           -- ms
    expires_at   INTEGER NOT NULL,           -- ms
    used_at      INTEGER                     -- ms
) STRICT;
CREATE INDEX sso_states_expires ON sso_states (expires_at);
CREATE INDEX sso_states_address ON sso_states (address, created_at);
