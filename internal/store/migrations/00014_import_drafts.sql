-- +goose Up
-- An import's preview, between the upload and the confirmation: the file's
-- tokens as read (secrets included), sealed under the master key and bound
-- to the draft, its user and its scope. Kept server-side so that no secret
-- travels in a page, a hidden field or a URL; short-lived, single-use
-- (the import deletes it in its transaction), and gone with its user.
CREATE TABLE import_drafts (
    id         TEXT    PRIMARY KEY,           -- random, 32 bytes base64url
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope      INTEGER NOT NULL,              -- app id; 0: global tokens
    sealed     BLOB    NOT NULL,
    expires_at INTEGER NOT NULL               -- ms
) STRICT;
CREATE INDEX import_drafts_expires ON import_drafts (expires_at);
