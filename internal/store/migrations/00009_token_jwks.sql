-- +goose Up
-- A token's published public keys (Redox OAuth 2.0 key pairs), served at
-- /jwks/<slug>.json. The slug is random and made once, when the token
-- first has a key pair: a deleted token's URL is never handed to another
-- token (token ids are reused by SQLite), and the URLs cannot be listed
-- by counting. The document is public data, written whenever the keys
-- change, so that serving it needs no decryption.
CREATE TABLE token_jwks (
    token_id   INTEGER PRIMARY KEY REFERENCES tokens (id) ON DELETE CASCADE,
    slug       TEXT    NOT NULL UNIQUE,
    document   BLOB    NOT NULL, -- {"keys":[…]}; empty while the token signs with a shared secret
    etag       TEXT    NOT NULL,
    updated_at INTEGER NOT NULL  -- ms
) STRICT;
