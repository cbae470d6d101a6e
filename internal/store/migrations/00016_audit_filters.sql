-- +goose Up
-- An audit log people can use (issue 13 item 5).

-- Each filter of the Audit Log reads one index range, newest first, so that
-- a page stays fast with 100,000 entries: who (case-insensitive), action,
-- app, and token (by the name the entry recorded).
CREATE INDEX audit_log_actor ON audit_log (lower(actor), at DESC, id DESC);
CREATE INDEX audit_log_action ON audit_log (action, at DESC, id DESC);
CREATE INDEX audit_log_app ON audit_log (app_id, at DESC, id DESC) WHERE app_id IS NOT NULL;
CREATE INDEX audit_log_token ON audit_log (lower(subject), at DESC, id DESC) WHERE token_id IS NOT NULL;
-- "What happened" is mostly asked together with who, an app or a token;
-- an index with both keeps such a page one range too (with one index each,
-- "Bob's deletions" read all of Bob's entries to find none).
CREATE INDEX audit_log_actor_action ON audit_log (lower(actor), action, at DESC, id DESC);
CREATE INDEX audit_log_app_action ON audit_log (app_id, action, at DESC, id DESC) WHERE app_id IS NOT NULL;
CREATE INDEX audit_log_token_action ON audit_log (lower(subject), action, at DESC, id DESC) WHERE token_id IS NOT NULL;

-- Entries written before audit_log had app_id (migration 00004) name their
-- token only. Where that token still exists and already existed when the
-- entry was written (token ids can be reused after a delete), its app is
-- the entry's app.
UPDATE audit_log SET app_id = (
    SELECT t.app_id FROM tokens t WHERE t.id = audit_log.token_id AND t.created_at <= audit_log.at)
WHERE app_id IS NULL AND token_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM tokens t WHERE t.id = audit_log.token_id AND t.app_id IS NOT NULL AND t.created_at <= audit_log.at);

-- The read audit filtered by client, newest minute first.
CREATE INDEX api_reads_client ON api_reads (client_id, minute, token_id, outcome);
-- The read audit filtered by token name finds the tokens of that name in
-- every scope, then reads each one's rows in page order.
CREATE INDEX tokens_name_key ON tokens (name_key);
CREATE INDEX api_reads_token_page ON api_reads (token_id, minute, client_id, outcome);
-- It serves everything api_reads_token (00006) did: one index less to
-- keep up on every flush of the read audit.
DROP INDEX api_reads_token;

-- Refused runtime API fetches, one row per identical refusal per minute
-- (same reason, client or key prefix, token name asked and address) with a
-- count, so that a flood of bad keys adds rows slowly and boundedly. Never
-- a key: key_prefix is what the console shows of a key anyway.
-- reason: missing_key, bad_key, revoked_key, rate_limited, not_permitted,
--         not_found, or the API's error code (conflict, retired, …).
-- address '' marks refusals counted together once a minute had too many
-- different ones to list.
CREATE TABLE api_refusals (
    id         INTEGER PRIMARY KEY,
    minute     INTEGER NOT NULL, -- Unix minutes
    reason     TEXT    NOT NULL,
    client_id  INTEGER NOT NULL, -- 0: the key was not recognised
    key_prefix TEXT    NOT NULL,
    token_name TEXT    NOT NULL,
    address    TEXT    NOT NULL,
    count      INTEGER NOT NULL,
    last_at    INTEGER NOT NULL  -- Unix ms of the latest refusal counted
);
CREATE UNIQUE INDEX api_refusals_key ON api_refusals (minute, reason, client_id, key_prefix, token_name, address);
CREATE INDEX api_refusals_time ON api_refusals (minute, id);
CREATE INDEX api_refusals_client ON api_refusals (client_id, minute, id);
CREATE INDEX api_refusals_token ON api_refusals (lower(token_name), minute, id);
