package web

import (
	"context"
	"maps"
	"strconv"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/views"
)

// addGenerated adds the values tokendesk creates itself (a key pair on
// first save, or when the signing method changes) to what is about to be
// saved. id is 0 for a new token.
func (s *Server) addGenerated(ctx context.Context, p provider.Provider, sp *store.TokenSpec, id int64) error {
	if p.Generate == nil {
		return nil
	}
	values := map[string]string{}
	if id != 0 {
		stored, err := s.Store.TokenValues(ctx, id)
		if err != nil {
			return err
		}
		maps.Copy(values, stored)
	}
	maps.Copy(values, sp.Set)
	gen, err := p.Generate(values)
	if err != nil {
		return err
	}
	maps.Copy(sp.Set, gen)
	return nil
}

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
	return &views.KeyPair{PublicKeyPEM: keys.PEM, JWKSURL: s.jwksURL(id), KeyID: values["key_id"], Previous: keys.Previous}, nil
}

func (s *Server) jwksURL(id int64) string {
	u := *s.Config.BaseURL
	u.Path = "/jwks/" + strconv.FormatInt(id, 10) + ".json"
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}
