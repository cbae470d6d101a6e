package web

import (
	"strings"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// minHidden is the shortest secret hideSecrets replaces in whole
// sentences: shorter ones would replace ordinary words of tokendesk's own
// text. Providers redact the text they quote with every secret already
// (provider.Redact); this is the backstop over everything shown.
const minHidden = 8

// hideSecrets replaces in text every secret of a token (see
// provider.Provider.SecretValues) and of the grant an action obtained.
func hideSecrets(text string, secrets []string) string {
	for _, s := range secrets {
		if len(s) >= minHidden && strings.Contains(text, s) {
			text = strings.ReplaceAll(text, s, "[redacted]")
		}
	}
	return text
}

// actionSecrets are what hideSecrets takes out of an action's result.
func actionSecrets(p provider.Provider, values map[string]string, g *provider.Grant) []string {
	out := p.SecretValues(values)
	if g != nil {
		out = append(out, g.AccessToken, g.RefreshToken)
	}
	return out
}
