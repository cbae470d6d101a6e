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
-- is kept by PostgreSQL itself, for existing rows too.
--
-- pg_trgm is a trusted extension (PostgreSQL 13+): a role with CREATE on
-- the database may create it. Managed setups often give tokendesk's role
-- less, so CREATE EXTENSION is skipped when the extension is there already
-- (a DBA ran it once, in whatever schema), and when it is missing and
-- cannot be created, start-up stops with one line saying what to grant or
-- run (the store reports this error's message alone: see migrate). The
-- operator class is named in the extension's own schema, which need not
-- be on the search path.
-- +goose StatementBegin
DO $$
DECLARE
    ext_schema name;
BEGIN
    SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
    IF ext_schema IS NULL THEN
        BEGIN
            CREATE EXTENSION pg_trgm;
        EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
            RAISE EXCEPTION USING ERRCODE = 'TD001', MESSAGE = format(
                'tokendesk needs the PostgreSQL extension pg_trgm (for the token list''s search) and role %I cannot create it: '
                'grant it CREATE on the database (GRANT CREATE ON DATABASE %I TO %I) or have a superuser run '
                '"CREATE EXTENSION pg_trgm;" in database %I once, then start tokendesk again (PostgreSQL said: %s)',
                current_user, current_database(), current_user, current_database(), SQLERRM);
        END;
        SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    END IF;
    EXECUTE format('CREATE INDEX tokens_name_trgm ON tokens USING gin (name_key %I.gin_trgm_ops)', ext_schema);
END
$$;
-- +goose StatementEnd

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
