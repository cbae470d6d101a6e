package web

import (
	"context"
	"errors"

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
