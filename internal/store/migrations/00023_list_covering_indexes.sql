-- +goose Up
-- The token list's Status filters that can hold thousands of tokens
-- (Expires soon, Expired, Not renewed, Expired with renewals Disabled) are
-- read from these indexes and sorted (issue 18 item 9). Each now holds
-- every column the status and the list's orders test, so the list picks
-- its page from the index alone and reads only that page's rows: at
-- 100,000 tokens a filter of 2,000 read 2,000 rows to show 100.

-- Renewed tokens by expiry (Expired, Expires soon).
DROP INDEX tokens_scope_expires_on;
CREATE INDEX tokens_scope_expires_on ON tokens (ifnull(app_id, 0), expires_at, renewal_rate, failures,
    needs_reconnect, refresh_expires_at, needs_secret, attention_since, next_renewal_at, provider, name_key, updated_at)
    WHERE renewal_rate != 'disabled';

-- Tokens that are not renewed, by expiry (Expired with renewals Disabled,
-- Not renewed): token.Status calls an empty rate "not renewed" too, so
-- the index holds those as well.
DROP INDEX tokens_scope_expired_off;
CREATE INDEX tokens_scope_expired_off ON tokens (ifnull(app_id, 0), expires_at, renewal_rate, failures,
    needs_reconnect, refresh_expires_at, needs_secret, attention_since, next_renewal_at, provider, name_key, updated_at)
    WHERE renewal_rate IN ('disabled', '');

-- The failing tokens (Renewal failing, Needs attention), counted on every
-- view of the list: with what the two statuses test, the counts read no
-- rows (the index holds the failing tokens whose renewal is off, too).
DROP INDEX tokens_scope_failing;
CREATE INDEX tokens_scope_failing ON tokens (ifnull(app_id, 0), failures, renewal_rate, attention_since, needs_reconnect,
    refresh_expires_at, needs_secret, expires_at, next_renewal_at, provider, name_key, updated_at) WHERE failures > 0;

-- The list by last change walks this index, skipping what a search, a type
-- or a status leaves out: tokens in change order lie all over the table, so
-- reading each row to test it cost a random read per token skipped (1,000
-- for a search of one name in ten). The index holds what those filters test;
-- id is a column, so that it still gives the order (updated_at, id).
DROP INDEX tokens_scope_updated;
CREATE INDEX tokens_scope_updated ON tokens (ifnull(app_id, 0), updated_at, id, name_key, provider, renewal_rate, expires_at,
    failures, needs_reconnect, refresh_expires_at, needs_secret, attention_since, next_renewal_at);
