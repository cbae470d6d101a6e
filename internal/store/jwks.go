package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// JWKS is a token's published key set (migration 00009).
type JWKS struct {
	Slug     string // the random part of its URL, made once
	Document []byte // empty while the token publishes no key
	ETag     string // quoted, for If-None-Match
}

// putJWKS writes a token's key set inside tx. The slug is made on the
// first write and kept for the token's life.
func putJWKS(ctx context.Context, tx *sql.Tx, tokenID int64, doc []byte, now time.Time) error {
	if doc == nil {
		doc = []byte{}
	}
	sum := sha256.Sum256(doc)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	_, err := tx.ExecContext(ctx, `
		INSERT INTO token_jwks (token_id, slug, document, etag, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (token_id) DO UPDATE SET document = excluded.document, etag = excluded.etag, updated_at = excluded.updated_at`,
		tokenID, newSlug(), doc, etag, ms(now))
	if err != nil {
		return fmt.Errorf("store: writing key set: %w", err)
	}
	return nil
}

// newSlug is 130 random bits, lower-case so that it reads well in a URL.
func newSlug() string { return strings.ToLower(rand.Text()) }

// PublishJWKS writes the key set of a token that has a key pair but none
// published yet (one saved before migration 00009).
func (s *Store) PublishJWKS(ctx context.Context, tokenID int64, doc []byte) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return putJWKS(ctx, tx, tokenID, doc, s.Now()) })
}

// JWKSOfToken returns token id's key set; ErrNotFound when it has none.
func (s *Store) JWKSOfToken(ctx context.Context, tokenID int64) (JWKS, error) {
	return s.jwks(ctx, "SELECT slug, document, etag FROM token_jwks WHERE token_id = ?", tokenID)
}

// JWKSBySlug returns the key set published under slug; ErrNotFound when
// there is none or it is empty.
func (s *Store) JWKSBySlug(ctx context.Context, slug string) (JWKS, error) {
	j, err := s.jwks(ctx, "SELECT slug, document, etag FROM token_jwks WHERE slug = ?", slug)
	if err == nil && len(j.Document) == 0 {
		return JWKS{}, ErrNotFound
	}
	return j, err
}

func (s *Store) jwks(ctx context.Context, query string, arg any) (JWKS, error) {
	st, err := s.readStmt(ctx, query)
	if err != nil {
		return JWKS{}, err
	}
	var j JWKS
	err = st.QueryRowContext(ctx, arg).Scan(&j.Slug, &j.Document, &j.ETag)
	if errors.Is(err, sql.ErrNoRows) {
		return JWKS{}, ErrNotFound
	}
	if err != nil {
		return JWKS{}, fmt.Errorf("store: reading key set: %w", err)
	}
	return j, nil
}
