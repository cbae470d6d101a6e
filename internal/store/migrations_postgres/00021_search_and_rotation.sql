-- +goose Up
-- SQLite's 00021 (see there), in PostgreSQL's spelling.
-- Issue 18, items 14 and 15.

-- Rotate secret keeps the previous signing secret for a day: deliveries
-- carry a signature under each (Standard Webhooks allows several,
-- space-separated), so receivers can switch without losing one. Sealed
-- under the master key like the secret itself; NULL when none is kept.
ALTER TABLE webhooks ADD COLUMN previous_secret BYTEA;
ALTER TABLE webhooks ADD COLUMN previous_until BIGINT;

-- Searching the token list finds a name containing the words typed, any
-- case ("feed" finds "Lab Feed"), within the page goal at 100,000 tokens:
-- a GIN trigram index (pg_trgm) of the folded names serves
-- name_key LIKE '%…%' for 3 characters or more (shorter searches use the
-- name index as a prefix). SQLite's FTS5 table has no twin here: the index
-- is kept by PostgreSQL itself, for existing rows too. pg_trgm is a trusted
-- extension (PostgreSQL 13+): the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX tokens_name_trgm ON tokens USING gin (name_key gin_trgm_ops);

-- Routine renewals (the worker's, every few minutes per token) are counted
-- in one entry per token and UTC day instead of one entry each: at 270 s a
-- token wrote 320 entries a day, burying what people did. day is the Unix
-- day of such a counted entry (NULL on every other entry), count how many
-- renewals it stands for, last_at the latest of them. Failed renewals, a
-- person's Renew now and an API client's renewal stay one entry each.
ALTER TABLE audit_log ADD COLUMN day BIGINT;
ALTER TABLE audit_log ADD COLUMN count BIGINT NOT NULL DEFAULT 1;
ALTER TABLE audit_log ADD COLUMN last_at BIGINT;
CREATE UNIQUE INDEX audit_log_routine_renewals ON audit_log (token_id, day) WHERE day IS NOT NULL;
