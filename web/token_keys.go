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
func keyAwaitingStatus(k *provider.KeyPairs) string {
	return "Waiting for the key to be registered in " + k.Service
}

// keyPair is what a token's page shows of its key pair for registration at
// the provider: the public key and the JWKS URL; nil when it has none.
func (s *Server) keyPair(ctx context.Context, p provider.Provider, id int64) (*views.KeyPair, error) {
	if p.PublicKeys == nil || p.Keys == nil || id == 0 {
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
	k := p.Keys
	kp := &views.KeyPair{PublicKeyPEM: keys.PEM, JWKSURL: s.jwksURL(set.Slug), KeyID: values[k.KeyID], Previous: keys.Previous,
		Next: keys.Next, Awaiting: values[token.KeyAwaiting] != "", CertificatePEM: keys.Certificate,
		Service: k.Service, Where: k.Where, Register: k.Register, KeyIDMade: k.KeyIDMade, CanRotate: p.CanRotate(), JWKSCache: k.JWKSCache}
	for _, o := range k.NewMethods {
		kp.NewMethods = append(kp.NewMethods, views.Option{Value: o.Value, Label: o.Label})
	}
	return kp, nil
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
	if !p.CanRotate() || t == nil {
		return nil, nil
	}
	values, err := s.Store.TokenValues(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	keyID, methodKey := p.Keys.KeyID, p.Keys.Method
	kid, method := in.Values[keyID], in.Values[methodKey]
	errs := token.FieldErrors{}
	if _, hasPair := p.PublicKeys(values); hasPair {
		const how = "Use “New key pair” below instead: the new key is published in the JWKS beside the current one, which keeps signing until you press “Sign with the new key”."
		if kid != values[keyID] {
			if p.KeyPublished(values, kid) {
				errs[keyID] = fmt.Sprintf("The Key ID “%s” is already published in this token's JWKS for another key. %s", truncateRunes(kid, 100), how)
			} else {
				errs[keyID] = fmt.Sprintf("Changing the Key ID here would sign with an unregistered key at once (keep “%s”). %s", truncateRunes(values[keyID], 100), how)
			}
		}
		if methodKey != "" && method != values[methodKey] && method != p.Keys.SharedMethod {
			errs[methodKey] = "Changing the Signing Method here would replace the registered key pair at once. " + how
		}
	} else if kid != values[keyID] && p.KeyPublished(values, kid) {
		errs[keyID] = fmt.Sprintf("The Key ID “%s” is already published in this token's JWKS for another key; choose one of its own.", truncateRunes(kid, 100))
	}
	if len(errs) == 0 {
		return nil, nil
	}
	return errs, nil
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
