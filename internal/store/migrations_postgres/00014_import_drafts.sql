-- +goose Up
-- SQLite's 00014 (see there), in PostgreSQL's spelling.
-- An import's preview, between the upload and the confirmation: the file's
-- tokens as read (secrets included), sealed under the master key and bound
-- to the draft, its user and its scope. Kept server-side so that no secret
-- travels in a page, a hidden field or a URL; short-lived, single-use
-- (the import deletes it in its transaction), and gone with its user.
CREATE TABLE import_drafts (
    id         TEXT COLLATE "C"    PRIMARY KEY,           -- random, 32 bytes base64url
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope      BIGINT NOT NULL,              -- app id; 0: global tokens
    sealed     BYTEA    NOT NULL,
    expires_at BIGINT NOT NULL               -- ms
);
CREATE INDEX import_drafts_expires ON import_drafts (expires_at);
