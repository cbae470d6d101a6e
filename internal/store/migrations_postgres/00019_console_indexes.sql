-- +goose Up
-- SQLite's 00019 (see there), in PostgreSQL's spelling.
CREATE INDEX sessions_user_seen ON sessions (user_id, last_seen_at DESC, created_at DESC);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
CREATE INDEX users_active_admins ON users (id) WHERE role = 'admin' AND active = 1;
CREATE INDEX users_active_designers ON users (email) WHERE role = 'designer' AND active = 1;
