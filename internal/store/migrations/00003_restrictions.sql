-- +goose Up
-- Permission Settings say "restricted" explicitly. Before, a global token
-- with no token_permissions row meant "every app may use it", so deleting
-- the last permitted app (the rows cascade away) or naming an app that did
-- not exist silently widened a restriction to every app. A row here means
-- only the apps in token_permissions may use the token: none, if none are
-- left.
CREATE TABLE token_restrictions (
    token_id INTEGER PRIMARY KEY REFERENCES tokens (id) ON DELETE CASCADE
) STRICT;

INSERT INTO token_restrictions (token_id) SELECT DISTINCT token_id FROM token_permissions;
