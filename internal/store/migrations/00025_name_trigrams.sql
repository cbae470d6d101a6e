-- +goose Up
-- Issue 18 item 9: a search matching thousands of names lists its first
-- page in name order within the page goal at 100,000 tokens.
--
-- FTS5 (tokens_search, migration 00021) finds the names containing a text
-- in id order: a search of 10,000 matches had to read and sort them all,
-- or walk the name index from the start past every name that does not
-- match (50,000 of them for "oken 05"). This table is the trigram index
-- again, in the list's orders: every name's trigrams (each 3-character
-- substring of the folded name), each with the name's type, the name and
-- its token, in type order (type, then name). The names containing a text
-- all hold each of its trigrams, so a page of them is read from the rarest
-- trigram's names, in order, testing each, until the page is full: a walk
-- of that trigram only, never of every name. By name, the walk merges the
-- few types' runs, each in name order.
CREATE TABLE token_trigrams (
    scope    INTEGER NOT NULL, -- ifnull(tokens.app_id, 0)
    trigram  TEXT NOT NULL,
    provider TEXT NOT NULL,
    name_key TEXT NOT NULL,
    id       INTEGER NOT NULL,
    PRIMARY KEY (scope, trigram, provider, name_key)
) WITHOUT ROWID;

-- How many names of each type in a scope hold each trigram: which of a
-- search's trigrams is rarest, and which types' runs to merge, without
-- counting. (A trigram no name holds any more keeps its row, at 0.)
CREATE TABLE token_trigram_counts (
    scope    INTEGER NOT NULL,
    trigram  TEXT NOT NULL,
    provider TEXT NOT NULL,
    total    INTEGER NOT NULL,
    PRIMARY KEY (scope, trigram, provider)
) WITHOUT ROWID;

-- Triggers keep both in step with every insert, rename, move, change of
-- type and delete, whoever writes. A trigger cannot use WITH RECURSIVE:
-- the positions 0 … length - 3 of a name's trigrams are the keys of a JSON
-- array of that many zeros, spelled from a zero blob ("000000" -> "[0,0,0]").
-- substr and length count characters, as the store's Go code does (runes).
-- +goose StatementBegin
CREATE TRIGGER token_trigrams_insert AFTER INSERT ON tokens BEGIN
    INSERT OR IGNORE INTO token_trigrams (scope, trigram, provider, name_key, id)
    SELECT ifnull(NEW.app_id, 0), substr(NEW.name_key, key + 1, 3), NEW.provider, NEW.name_key, NEW.id
    FROM json_each('[' || rtrim(replace(hex(zeroblob(max(length(NEW.name_key) - 2, 0))), '00', '0,'), ',') || ']');
    INSERT INTO token_trigram_counts (scope, trigram, provider, total)
    SELECT DISTINCT ifnull(NEW.app_id, 0), substr(NEW.name_key, key + 1, 3), NEW.provider, 1
    FROM json_each('[' || rtrim(replace(hex(zeroblob(max(length(NEW.name_key) - 2, 0))), '00', '0,'), ',') || ']') WHERE true
    ON CONFLICT (scope, trigram, provider) DO UPDATE SET total = total + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER token_trigrams_delete AFTER DELETE ON tokens BEGIN
    DELETE FROM token_trigrams WHERE scope = ifnull(OLD.app_id, 0) AND provider = OLD.provider AND name_key = OLD.name_key AND trigram IN (
        SELECT substr(OLD.name_key, key + 1, 3)
        FROM json_each('[' || rtrim(replace(hex(zeroblob(max(length(OLD.name_key) - 2, 0))), '00', '0,'), ',') || ']'));
    UPDATE token_trigram_counts SET total = total - 1 WHERE scope = ifnull(OLD.app_id, 0) AND provider = OLD.provider AND trigram IN (
        SELECT substr(OLD.name_key, key + 1, 3)
        FROM json_each('[' || rtrim(replace(hex(zeroblob(max(length(OLD.name_key) - 2, 0))), '00', '0,'), ',') || ']'));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER token_trigrams_update AFTER UPDATE OF name_key, app_id, provider ON tokens
WHEN OLD.name_key IS NOT NEW.name_key OR OLD.app_id IS NOT NEW.app_id OR OLD.provider IS NOT NEW.provider
BEGIN
    DELETE FROM token_trigrams WHERE scope = ifnull(OLD.app_id, 0) AND provider = OLD.provider AND name_key = OLD.name_key AND trigram IN (
        SELECT substr(OLD.name_key, key + 1, 3)
        FROM json_each('[' || rtrim(replace(hex(zeroblob(max(length(OLD.name_key) - 2, 0))), '00', '0,'), ',') || ']'));
    UPDATE token_trigram_counts SET total = total - 1 WHERE scope = ifnull(OLD.app_id, 0) AND provider = OLD.provider AND trigram IN (
        SELECT substr(OLD.name_key, key + 1, 3)
        FROM json_each('[' || rtrim(replace(hex(zeroblob(max(length(OLD.name_key) - 2, 0))), '00', '0,'), ',') || ']'));
    INSERT OR IGNORE INTO token_trigrams (scope, trigram, provider, name_key, id)
    SELECT ifnull(NEW.app_id, 0), substr(NEW.name_key, key + 1, 3), NEW.provider, NEW.name_key, NEW.id
    FROM json_each('[' || rtrim(replace(hex(zeroblob(max(length(NEW.name_key) - 2, 0))), '00', '0,'), ',') || ']');
    INSERT INTO token_trigram_counts (scope, trigram, provider, total)
    SELECT DISTINCT ifnull(NEW.app_id, 0), substr(NEW.name_key, key + 1, 3), NEW.provider, 1
    FROM json_each('[' || rtrim(replace(hex(zeroblob(max(length(NEW.name_key) - 2, 0))), '00', '0,'), ',') || ']') WHERE true
    ON CONFLICT (scope, trigram, provider) DO UPDATE SET total = total + 1;
END;
-- +goose StatementEnd

-- The tokens stored before this migration.
INSERT OR IGNORE INTO token_trigrams (scope, trigram, provider, name_key, id)
SELECT ifnull(t.app_id, 0), substr(t.name_key, p.key + 1, 3), t.provider, t.name_key, t.id
FROM tokens t, json_each('[' || rtrim(replace(hex(zeroblob(max(length(t.name_key) - 2, 0))), '00', '0,'), ',') || ']') p;
INSERT INTO token_trigram_counts (scope, trigram, provider, total)
SELECT scope, trigram, provider, count(*) FROM token_trigrams GROUP BY scope, trigram, provider;
