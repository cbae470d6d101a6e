-- +goose Up
-- Issue 18, items 14 and 15.

-- Rotate secret keeps the previous signing secret for a day: deliveries
-- carry a signature under each (Standard Webhooks allows several,
-- space-separated), so receivers can switch without losing one. Sealed
-- under the master key like the secret itself; NULL when none is kept.
ALTER TABLE webhooks ADD COLUMN previous_secret BLOB;
ALTER TABLE webhooks ADD COLUMN previous_until INTEGER;

-- Searching the token list finds a name containing the words typed, any
-- case ("feed" finds "Lab Feed"), within the page goal at 100,000 tokens:
-- an FTS5 index of the folded names (name_key) with the trigram tokenizer,
-- which answers "contains" for 3 characters or more (shorter searches use
-- the name index as a prefix). It indexes the tokens table's own column
-- (external content), so it stores the trigrams only.
CREATE VIRTUAL TABLE tokens_search USING fts5(name_key, content = 'tokens', content_rowid = 'id', tokenize = 'trigram');

-- Triggers keep it in step with every insert, rename (a new name_key, from
-- an edit or the start-up re-keying) and delete, whoever writes.
-- +goose StatementBegin
CREATE TRIGGER tokens_search_insert AFTER INSERT ON tokens BEGIN
    INSERT INTO tokens_search (rowid, name_key) VALUES (NEW.id, NEW.name_key);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tokens_search_delete AFTER DELETE ON tokens BEGIN
    INSERT INTO tokens_search (tokens_search, rowid, name_key) VALUES ('delete', OLD.id, OLD.name_key);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tokens_search_rename AFTER UPDATE OF name_key ON tokens
WHEN OLD.name_key IS NOT NEW.name_key
BEGIN
    INSERT INTO tokens_search (tokens_search, rowid, name_key) VALUES ('delete', OLD.id, OLD.name_key);
    INSERT INTO tokens_search (rowid, name_key) VALUES (NEW.id, NEW.name_key);
END;
-- +goose StatementEnd

-- The tokens stored before this migration.
INSERT INTO tokens_search (tokens_search) VALUES ('rebuild');

-- Routine renewals (the worker's, every few minutes per token) are counted
-- in one entry per token and UTC day instead of one entry each: at 270 s a
-- token wrote 320 entries a day, burying what people did. day is the Unix
-- day of such a counted entry (NULL on every other entry), count how many
-- renewals it stands for, last_at the latest of them. Failed renewals, a
-- person's Renew now and an API client's renewal stay one entry each.
ALTER TABLE audit_log ADD COLUMN day INTEGER;
ALTER TABLE audit_log ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_log ADD COLUMN last_at INTEGER;
CREATE UNIQUE INDEX audit_log_routine_renewals ON audit_log (token_id, day) WHERE day IS NOT NULL;
