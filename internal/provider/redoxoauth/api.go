package redoxoauth

import (
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/redox"
)

func init() {
	// The same API as Redox's other kind of token.
	Provider.API = redox.ProxyAPI
	Provider.Fields = append(Provider.Fields, provider.ProxyOnlyField())
}
