-- +goose Up
-- State that every replica sharing the database must see alike.

-- Failed sign-ins per throttle key ("account:<email>", "address:<ip>"):
-- kept here, not in a process's memory, so that N replicas do not give N
-- times the attempts. Times are Unix milliseconds; locked_until 0: no lock.
CREATE TABLE login_attempts (
    key          TEXT    PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0,
    last_at      INTEGER NOT NULL
);
CREATE INDEX login_attempts_last ON login_attempts (last_at);

-- Each running process heartbeats here; the runtime API's per-key rate
-- limit is shared out among the live ones (web/api_limit.go).
CREATE TABLE replicas (
    id      TEXT    PRIMARY KEY,
    seen_at INTEGER NOT NULL
);
