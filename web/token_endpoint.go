package web

import (
	"context"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/token"
)

// A saved token's secrets and grant are sent only to the address they
// were saved with (token.EndpointMoved says why).

// endpointSecretErrors asks for the stored secrets again when the form
// of a button press changes an Endpoint (token.EndpointSecretErrors; a
// save decides it in its own write, token.Save).
func (s *Server) endpointSecretErrors(ctx context.Context, p provider.Provider, in token.Input, tok *token.Token, pd pending) (token.FieldErrors, error) {
	if tok == nil || !hasEndpoint(p) {
		return nil, nil
	}
	stored, err := s.Store.TokenValues(ctx, tok.ID)
	if err != nil {
		return nil, err
	}
	return token.EndpointSecretErrors(p, in, pd.Secrets, stored), nil
}

// hasEndpoint says whether p has an Endpoint field at all.
func hasEndpoint(p provider.Provider) bool {
	for _, fd := range p.Fields {
		if fd.Endpoint {
			return true
		}
	}
	return false
}
