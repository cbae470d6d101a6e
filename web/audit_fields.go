package web

import (
	"strings"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/keypair"
	"github.com/tokendesk/tokendesk/internal/provider/oauth"
	"github.com/tokendesk/tokendesk/internal/provider/redoxoauth"
	"github.com/tokendesk/tokendesk/internal/token"
)

// auditFieldLabels name, for people, the values an audit entry can list
// that have no field of their own on a token's screen (or whose provider
// is unknown): what a renewal, a key rotation or an edit changed.
var auditFieldLabels = map[string]string{
	provider.KeyName:           "Token Name",
	provider.KeyDescription:    "Description",
	provider.KeyRenewalRate:    "Renewal Rate",
	provider.KeyEncrypt:        "Encrypt",
	"expires_at":               "Token Expiry",
	"access_token":             "Access Token",
	"refresh_token":            "Refresh Token",
	keypair.KeyPrevious:        "Previous key pairs (still published)",
	keypair.KeyNext:            "Next key pair (published, not yet signing)",
	token.KeyAwaiting:          "Key pair awaiting registration",
	oauth.KeyInstanceURL:       "Instance URL",
	oauth.KeyAPIURL:            "API URL",
	redoxoauth.KeySourceID:     "Source ID",
	redoxoauth.KeyPrivateKey:   "Private Key",
	"secret":                   "Secret",
	"refresh_token_expires_at": "Refresh Token Expiry",
}

// auditFieldLabel is what the Audit Log calls value key of a token of
// provider p (known: p is a provider tokendesk has): the screen's label,
// else the label above, else the key in words, never a code.
func auditFieldLabel(p provider.Provider, known bool, key string) string {
	if known {
		if l := p.Label(key); l != key {
			return l
		}
	}
	if l, ok := auditFieldLabels[key]; ok {
		return l
	}
	return keyInWords(key)
}

// keyInWords spells a key no list knows ("token_url" → "Token URL").
func keyInWords(key string) string {
	words := strings.FieldsFunc(key, func(r rune) bool { return r == '_' || r == '-' || r == '.' })
	for i, w := range words {
		switch w {
		case "id", "url", "api", "uri", "jwks", "pkce":
			words[i] = strings.ToUpper(w)
		default:
			if i == 0 && w != "" {
				words[i] = strings.ToUpper(w[:1]) + w[1:]
			}
		}
	}
	return strings.Join(words, " ")
}
