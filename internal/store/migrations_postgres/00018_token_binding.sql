-- +goose Up
-- SQLite's 00018 (see there), in PostgreSQL's spelling. tokens.id is an
-- identity column, whose sequence never hands an id out twice, so unlike
-- SQLite's the table needs no rebuild: only the consent key (filled for
-- the tokens there are, one random value each), the session a consent
-- trip started in, and the table of one-time hand-overs shown.
ALTER TABLE tokens ADD COLUMN consent_key TEXT COLLATE "C" NOT NULL
    DEFAULT replace(gen_random_uuid()::text, '-', '');
ALTER TABLE oauth_states ADD COLUMN session_ref TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE TABLE used_once (
    hash       TEXT COLLATE "C" PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX used_once_expires ON used_once (expires_at);
