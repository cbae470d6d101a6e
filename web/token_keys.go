package web

import (
	"context"
	"errors"
	"fmt"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
	"github.com/tokendesk/tokendesk/views"
)

// keyAwaitingStatus is the renewal status of a token whose new key pair
// nobody has registered at the provider yet.
const keyAwaitingStatus = "Waiting for the key to be registered in Redox"

// keyPair is what a token's page shows of its key pair for registration at
// the provider: the public key and the JWKS URL; nil when it has none.
func (s *Server) keyPair(ctx context.Context, p provider.Provider, id int64) (*views.KeyPair, error) {
	if p.PublicKeys == nil || id == 0 {
		return nil, nil
	}
	values, err := s.Store.TokenValues(ctx, id)
	if err != nil {
		return nil, err
	}
	keys, ok := p.PublicKeys(values)
	if !ok {
		return nil, nil
	}
	set, err := s.Store.JWKSOfToken(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		// A key pair made before key sets were kept apart: publish it now.
		if err := s.Store.PublishJWKS(ctx, id, keys.JWKS); err != nil {
			return nil, err
		}
		set, err = s.Store.JWKSOfToken(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	return &views.KeyPair{PublicKeyPEM: keys.PEM, JWKSURL: s.jwksURL(set.Slug), KeyID: values["key_id"], Previous: keys.Previous,
		Next: keys.Next, Awaiting: values[token.KeyAwaiting] != "", Where: keysWhere(p), CertificatePEM: keys.Certificate}, nil
}

func (s *Server) jwksURL(slug string) string {
	u := *s.Config.BaseURL
	u.Path = "/jwks/" + slug + ".json"
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}

// keyFieldErrors checks an edit of a token's Key ID and Signing Method
// against the keys it publishes: a key pair registered at the provider is
// never replaced in place (that is an outage: the new key signs before
// anyone registered it), and no Key ID names two different keys.
func (s *Server) keyFieldErrors(ctx context.Context, p provider.Provider, in token.Input, t *token.Token) (token.FieldErrors, error) {
	if p.KeyPublished == nil || p.PublicKeys == nil || t == nil {
		return nil, nil
	}
	values, err := s.Store.TokenValues(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	kid, method := in.Values["key_id"], in.Values["signing_method"]
	errs := token.FieldErrors{}
	if _, hasPair := p.PublicKeys(values); hasPair {
		const how = "Use “New key pair” below instead: the new key is published in the JWKS beside the current one, which keeps signing until you press “Sign with the new key”."
		if kid != values["key_id"] {
			if p.KeyPublished(values, kid) {
				errs["key_id"] = fmt.Sprintf("The Key ID “%s” is already published in this token's JWKS for another key. %s", truncateRunes(kid, 100), how)
			} else {
				errs["key_id"] = fmt.Sprintf("Changing the Key ID here would sign with an unregistered key at once (keep “%s”). %s", truncateRunes(values["key_id"], 100), how)
			}
		}
		if method != values["signing_method"] && method != "hs384" {
			errs["signing_method"] = "Changing the Signing Method here would replace the registered key pair at once. " + how
		}
	} else if kid != values["key_id"] && p.KeyPublished(values, kid) {
		errs["key_id"] = fmt.Sprintf("The Key ID “%s” is already published in this token's JWKS for another key; choose one of its own.", truncateRunes(kid, 100))
	}
	if len(errs) == 0 {
		return nil, nil
	}
	return errs, nil
}

// keysWhere names where an OAuth 2.0 client's key pair is registered ("" for
// Redox, whose panel says so in its own words).
func keysWhere(p provider.Provider) string {
	if p.Consent == nil {
		return ""
	}
	return "the app's settings at " + p.Name + " (private_key_jwt client authentication)"
}

// hasKeyPair reports whether token id keeps a key pair to register at the
// provider (so that saving it lands on its page, where the key is shown).
func (s *Server) hasKeyPair(ctx context.Context, p provider.Provider, id int64) (bool, error) {
	if p.PublicKeys == nil {
		return false, nil
	}
	values, err := s.Store.TokenValues(ctx, id)
	if err != nil {
		return false, err
	}
	_, ok := p.PublicKeys(values)
	return ok, nil
}
