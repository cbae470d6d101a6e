-- +goose Up
-- Envelope encryption (internal/secret/keyring.go): values are sealed
-- under data keys, each stored here wrapped by the master key. The data
-- key with the highest id is current: new values are sealed under it.
-- AUTOINCREMENT: an id is never given to another key, so a process that
-- still holds a retired key in memory can never mistake it for a new one.
CREATE TABLE data_keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    wrapped    BLOB    NOT NULL,
    created_at INTEGER NOT NULL, -- ms
    created_by TEXT    NOT NULL
) STRICT;

-- Which data key sealed a value; NULL for plain values and for values
-- sealed straight under the master key (format v1, before data keys).
-- The reference makes deleting a key that a value still uses fail, even
-- if a rotation's bookkeeping were wrong.
ALTER TABLE token_values ADD COLUMN key_id INTEGER REFERENCES data_keys (id);
CREATE INDEX token_values_key ON token_values (key_id);

-- The key rotation under way, or the last one (a single row). The
-- re-seal walks token_values in primary-key order from the cursor
-- (after_token, after_field), so that it resumes where it stopped after a
-- crash or a restart, in whichever process picks it up.
CREATE TABLE key_rotations (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    key_id      INTEGER NOT NULL, -- the data key values move to
    started_at  INTEGER NOT NULL, -- ms
    started_by  TEXT    NOT NULL,
    total       INTEGER NOT NULL, -- sealed values under other keys at the start
    resealed    INTEGER NOT NULL DEFAULT 0,
    after_token INTEGER NOT NULL DEFAULT 0,
    after_field TEXT    NOT NULL DEFAULT '',
    passes      INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0, -- values that did not open in this pass
    stuck       INTEGER NOT NULL DEFAULT 0, -- values that did not open in the last whole pass
    drained_at  INTEGER,                    -- ms; when nothing was left under an old key
    finished_at INTEGER                     -- ms; NULL while under way
) STRICT;
