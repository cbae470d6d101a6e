-- +goose Up
-- SQLite's 00012 (see there), in PostgreSQL's spelling: times in BIGINT.

CREATE TABLE login_attempts (
    key          TEXT COLLATE "C" PRIMARY KEY,
    failures     BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0,
    last_at      BIGINT NOT NULL
);
CREATE INDEX login_attempts_last ON login_attempts (last_at);

CREATE TABLE replicas (
    id      TEXT COLLATE "C" PRIMARY KEY,
    seen_at BIGINT NOT NULL
);
