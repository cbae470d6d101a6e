package web

import (
	"context"
	"strconv"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/views"
)

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
