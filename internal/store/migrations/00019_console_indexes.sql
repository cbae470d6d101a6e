-- +goose Up
-- Indexes for the console's smaller lists (issue 18 item 9), so that each
-- reads its rows in order from an index rather than scanning and sorting:
-- a person's sessions, newest first (/sessions);
CREATE INDEX sessions_user_seen ON sessions (user_id, last_seen_at DESC, created_at DESC);
-- the sessions gone idle, which the sweeper deletes;
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
-- the active administrators, counted and locked before one is demoted or
-- deactivated;
CREATE INDEX users_active_admins ON users (id) WHERE role = 'admin' AND active = 1;
-- the active app designers an app's page offers, by email.
CREATE INDEX users_active_designers ON users (email) WHERE role = 'designer' AND active = 1;
