-- +goose Up
-- Every list of the console reads one page from an index, whatever the
-- number of tokens (issue 14 item 5).

-- Tokens per scope (0: global), kept by triggers, so that the token list
-- and the app list can show totals without counting every token.
CREATE TABLE scope_token_counts (
    scope INTEGER PRIMARY KEY, -- ifnull(tokens.app_id, 0)
    total INTEGER NOT NULL
) STRICT;
INSERT INTO scope_token_counts (scope, total)
SELECT ifnull(app_id, 0), count(*) FROM tokens GROUP BY ifnull(app_id, 0);

-- +goose StatementBegin
CREATE TRIGGER scope_token_counts_insert AFTER INSERT ON tokens BEGIN
    INSERT INTO scope_token_counts (scope, total) VALUES (ifnull(NEW.app_id, 0), 1)
    ON CONFLICT (scope) DO UPDATE SET total = total + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER scope_token_counts_delete AFTER DELETE ON tokens BEGIN
    UPDATE scope_token_counts SET total = total - 1 WHERE scope = ifnull(OLD.app_id, 0);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER scope_token_counts_move AFTER UPDATE OF app_id ON tokens
WHEN OLD.app_id IS NOT NEW.app_id
BEGIN
    UPDATE scope_token_counts SET total = total - 1 WHERE scope = ifnull(OLD.app_id, 0);
    INSERT INTO scope_token_counts (scope, total) VALUES (ifnull(NEW.app_id, 0), 1)
    ON CONFLICT (scope) DO UPDATE SET total = total + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER scope_token_counts_app_delete AFTER DELETE ON apps BEGIN
    DELETE FROM scope_token_counts WHERE scope = OLD.id;
END;
-- +goose StatementEnd

-- The API client list of a scope, live keys first, by name, a page at a time.
CREATE INDEX api_clients_scope_list ON api_clients (ifnull(app_id, 0), revoked_at IS NOT NULL, name, id);
