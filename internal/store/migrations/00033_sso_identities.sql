-- +goose Up
-- Single sign-on binds a person to the identity provider's own id for
-- them (the ID token's iss and sub), not to an e-mail address: an e-mail
-- can change hands or be unverified, a subject is stable and the
-- provider's to give. A local account is linked to a subject only at its
-- first single sign-on, and only by a verified e-mail.
CREATE TABLE sso_identities (
    issuer     TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL, -- ms
    PRIMARY KEY (issuer, subject),
    UNIQUE (issuer, user_id)
) STRICT;

-- +goose Down
DROP TABLE sso_identities;
