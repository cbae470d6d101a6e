-- +goose Up
-- SQLite's 00025 (see there), in PostgreSQL's spelling: each name's
-- trigrams in name order, and how many names of a scope hold each, kept
-- by a trigger function. (The list reads them on SQLite, where FTS5 finds
-- matches in id order only; PostgreSQL's planner weighs its own trigram
-- index, migration 00021. The tables are kept here too, so that both
-- schemas stay one, and a copy from SQLite rebuilds them.)
CREATE TABLE token_trigrams (
    scope    BIGINT NOT NULL,
    trigram  TEXT COLLATE "C" NOT NULL,
    provider TEXT COLLATE "C" NOT NULL,
    name_key TEXT COLLATE "C" NOT NULL,
    id       BIGINT NOT NULL,
    PRIMARY KEY (scope, trigram, provider, name_key)
);

CREATE TABLE token_trigram_counts (
    scope    BIGINT NOT NULL,
    trigram  TEXT COLLATE "C" NOT NULL,
    provider TEXT COLLATE "C" NOT NULL,
    total    BIGINT NOT NULL,
    PRIMARY KEY (scope, trigram, provider)
);

-- +goose StatementBegin
CREATE FUNCTION token_trigrams_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM token_trigrams WHERE scope = coalesce(OLD.app_id, 0) AND provider = OLD.provider AND name_key = OLD.name_key AND trigram IN (
            SELECT substr(OLD.name_key, i, 3) FROM generate_series(1, length(OLD.name_key) - 2) AS i);
        UPDATE token_trigram_counts SET total = total - 1 WHERE scope = coalesce(OLD.app_id, 0) AND provider = OLD.provider AND trigram IN (
            SELECT substr(OLD.name_key, i, 3) FROM generate_series(1, length(OLD.name_key) - 2) AS i);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO token_trigrams (scope, trigram, provider, name_key, id)
        SELECT DISTINCT coalesce(NEW.app_id, 0), substr(NEW.name_key, i, 3), NEW.provider, NEW.name_key, NEW.id
        FROM generate_series(1, length(NEW.name_key) - 2) AS i
        ON CONFLICT DO NOTHING;
        INSERT INTO token_trigram_counts (scope, trigram, provider, total)
        SELECT DISTINCT coalesce(NEW.app_id, 0), substr(NEW.name_key, i, 3), NEW.provider, 1
        FROM generate_series(1, length(NEW.name_key) - 2) AS i
        ON CONFLICT (scope, trigram, provider) DO UPDATE SET total = token_trigram_counts.total + 1;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER token_trigrams_insert AFTER INSERT OR DELETE ON tokens
    FOR EACH ROW EXECUTE FUNCTION token_trigrams_keep();
CREATE TRIGGER token_trigrams_update AFTER UPDATE OF name_key, app_id, provider ON tokens
    FOR EACH ROW WHEN (OLD.name_key IS DISTINCT FROM NEW.name_key OR OLD.app_id IS DISTINCT FROM NEW.app_id
                       OR OLD.provider IS DISTINCT FROM NEW.provider)
    EXECUTE FUNCTION token_trigrams_keep();

-- The tokens stored before this migration.
INSERT INTO token_trigrams (scope, trigram, provider, name_key, id)
SELECT DISTINCT coalesce(t.app_id, 0), substr(t.name_key, i, 3), t.provider, t.name_key, t.id
FROM tokens t, generate_series(1, length(t.name_key) - 2) AS i;
INSERT INTO token_trigram_counts (scope, trigram, provider, total)
SELECT scope, trigram, provider, count(*) FROM token_trigrams GROUP BY scope, trigram, provider;
