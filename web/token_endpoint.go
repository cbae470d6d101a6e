package web

import (
	"context"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/token"
)

// A saved token's secrets and grant are sent only to the address they
// were saved with. Otherwise anyone allowed to edit a token, though never
// to read its secrets, could point its Token URL at a server of their own
// and press a button (or wait for a renewal) to receive them.

// changedEndpoint is the label of the first Endpoint field of a saved
// token that in changes ("" when none does), and the stored values.
func (s *Server) changedEndpoint(ctx context.Context, p provider.Provider, in token.Input, tok *token.Token) (string, map[string]string, error) {
	if tok == nil {
		return "", nil, nil
	}
	var stored map[string]string
	for _, fd := range p.Fields {
		if !fd.Endpoint {
			continue
		}
		if stored == nil {
			var err error
			if stored, err = s.Store.TokenValues(ctx, tok.ID); err != nil {
				return "", nil, err
			}
		}
		if old, ok := stored[fd.Key]; ok && old != in.Values[fd.Key] {
			return fd.Label, stored, nil
		}
	}
	return "", stored, nil
}

// endpointSecretErrors asks for the stored secrets again when the form
// changes an Endpoint: a secret typed now (or before, in pending) is
// fine, a stored one is not sent to the new address.
func (s *Server) endpointSecretErrors(ctx context.Context, p provider.Provider, in token.Input, tok *token.Token, pd pending) (token.FieldErrors, error) {
	label, stored, err := s.changedEndpoint(ctx, p, in, tok)
	if err != nil || label == "" {
		return nil, err
	}
	var errs token.FieldErrors
	for _, fd := range p.Fields {
		if !fd.Secret || fd.Key == p.Tokens.Access || in.Values[fd.Key] != "" || pd.Secrets[fd.Key] != "" || in.Clear[fd.Key] || stored[fd.Key] == "" {
			continue
		}
		if errs == nil {
			errs = token.FieldErrors{}
		}
		errs[fd.Key] = "Enter the " + fd.Label + " again: the " + label + " changed, and a stored secret is only sent to the address it was saved with."
	}
	return errs, nil
}
