-- +goose Up
-- The change log: one row per write that can change an answer of the
-- runtime API. Every process keeps an in-memory index of those answers and
-- reads this log (by id, from where it left off) to know what to forget, so
-- that a write made by any process is seen by all of them.
--
-- kind: 'value'  the token's values or expiry changed (its answer only);
--       'name'   a token appeared, went, or changed name, scope or provider
--                (name resolution may change);
--       'all'    clients, permissions or apps changed.
-- Triggers write it, so no code path that writes can forget to.
CREATE TABLE changes (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind     TEXT    NOT NULL CHECK (kind IN ('value', 'name', 'all')),
    token_id INTEGER,
    at       INTEGER NOT NULL DEFAULT (unixepoch()) -- seconds, for pruning
) STRICT;

-- +goose StatementBegin
CREATE TRIGGER changes_token_insert AFTER INSERT ON tokens BEGIN
    INSERT INTO changes (kind, token_id) VALUES ('name', NEW.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER changes_token_delete AFTER DELETE ON tokens BEGIN
    INSERT INTO changes (kind, token_id) VALUES ('name', OLD.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER changes_token_rename AFTER UPDATE ON tokens
WHEN OLD.name_key IS NOT NEW.name_key OR OLD.app_id IS NOT NEW.app_id OR OLD.provider IS NOT NEW.provider
BEGIN
    INSERT INTO changes (kind, token_id) VALUES ('name', NEW.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER changes_token_update AFTER UPDATE ON tokens
WHEN OLD.version IS NOT NEW.version OR OLD.expires_at IS NOT NEW.expires_at
  OR OLD.last_renewed_at IS NOT NEW.last_renewed_at OR OLD.name IS NOT NEW.name
BEGIN
    INSERT INTO changes (kind, token_id) VALUES ('value', NEW.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER changes_value_insert AFTER INSERT ON token_values BEGIN
    INSERT INTO changes (kind, token_id) VALUES ('value', NEW.token_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER changes_value_update AFTER UPDATE ON token_values BEGIN
    INSERT INTO changes (kind, token_id) VALUES ('value', NEW.token_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER changes_value_delete AFTER DELETE ON token_values BEGIN
    INSERT INTO changes (kind, token_id) VALUES ('value', OLD.token_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER changes_permission_insert AFTER INSERT ON token_permissions BEGIN
    INSERT INTO changes (kind) VALUES ('all');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER changes_permission_delete AFTER DELETE ON token_permissions BEGIN
    INSERT INTO changes (kind) VALUES ('all');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER changes_restriction_insert AFTER INSERT ON token_restrictions BEGIN
    INSERT INTO changes (kind) VALUES ('all');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER changes_restriction_delete AFTER DELETE ON token_restrictions BEGIN
    INSERT INTO changes (kind) VALUES ('all');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER changes_client_insert AFTER INSERT ON api_clients BEGIN
    INSERT INTO changes (kind) VALUES ('all');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER changes_client_update AFTER UPDATE ON api_clients
WHEN OLD.revoked_at IS NOT NEW.revoked_at OR OLD.app_id IS NOT NEW.app_id OR OLD.key_hash IS NOT NEW.key_hash
BEGIN
    INSERT INTO changes (kind) VALUES ('all');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER changes_client_delete AFTER DELETE ON api_clients BEGIN
    INSERT INTO changes (kind) VALUES ('all');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER changes_app_delete AFTER DELETE ON apps BEGIN
    INSERT INTO changes (kind) VALUES ('all');
END;
-- +goose StatementEnd

-- The read audit: every runtime API fetch, counted per minute, client,
-- token and outcome (one row per combination, not per request, so that
-- keeping it costs the hot path nothing measurable). client_id 0: the key
-- was not recognised; token_id 0: no token was found.
CREATE TABLE api_reads (
    minute    INTEGER NOT NULL, -- Unix minutes
    client_id INTEGER NOT NULL,
    token_id  INTEGER NOT NULL,
    outcome   TEXT    NOT NULL,
    count     INTEGER NOT NULL,
    PRIMARY KEY (minute, client_id, token_id, outcome)
) STRICT, WITHOUT ROWID;
CREATE INDEX api_reads_token ON api_reads (token_id, minute);

-- What /metrics counts on every scrape, kept so that no scrape reads every
-- token: totals maintained by triggers, and indexes for the few tokens that
-- are failing or close to expiry.
CREATE TABLE token_counts (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    total    INTEGER NOT NULL,
    disabled INTEGER NOT NULL -- renewal_rate = 'disabled'
) STRICT;
INSERT INTO token_counts (id, total, disabled)
SELECT 1, count(*), count(*) FILTER (WHERE renewal_rate = 'disabled') FROM tokens;

-- +goose StatementBegin
CREATE TRIGGER token_counts_insert AFTER INSERT ON tokens BEGIN
    UPDATE token_counts SET total = total + 1, disabled = disabled + (NEW.renewal_rate = 'disabled');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER token_counts_delete AFTER DELETE ON tokens BEGIN
    UPDATE token_counts SET total = total - 1, disabled = disabled - (OLD.renewal_rate = 'disabled');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER token_counts_rate AFTER UPDATE OF renewal_rate ON tokens
WHEN OLD.renewal_rate IS NOT NEW.renewal_rate
BEGIN
    UPDATE token_counts SET disabled = disabled + (NEW.renewal_rate = 'disabled') - (OLD.renewal_rate = 'disabled');
END;
-- +goose StatementEnd

-- Tokens per provider, for the providers whose vendor retired them (their
-- tokens show the retirement instead of a renewal status).
CREATE TABLE provider_counts (
    provider TEXT PRIMARY KEY,
    total    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO provider_counts (provider, total) SELECT provider, count(*) FROM tokens GROUP BY provider;

-- +goose StatementBegin
CREATE TRIGGER provider_counts_insert AFTER INSERT ON tokens BEGIN
    INSERT INTO provider_counts (provider, total) VALUES (NEW.provider, 1)
    ON CONFLICT (provider) DO UPDATE SET total = total + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER provider_counts_delete AFTER DELETE ON tokens BEGIN
    UPDATE provider_counts SET total = total - 1 WHERE provider = OLD.provider;
END;
-- +goose StatementEnd

-- Failing tokens are found through tokens_scope_failing (migration 00004).
CREATE INDEX tokens_expires ON tokens (expires_at) WHERE expires_at IS NOT NULL;
