package provider

// KeyProxyOnly is the "Only through the proxy" setting of a token whose
// provider declares an API: when on, the runtime API never hands the
// credential out (a fetch answers 403 proxy_only) and apps reach the
// service through /api/v1/proxy/{name}/… only. It is a stored value like
// any field's (no column): the runtime API's index reads it with the
// answer's values.
const KeyProxyOnly = "proxy_only"

// ProxyOnlyField is the "Only through the proxy" checkbox.
func ProxyOnlyField() Field {
	return Field{
		Key: KeyProxyOnly, Label: "Only through the proxy", Control: Checkbox, Credential: true,
		Help: "Apps call the service through tokendesk (/api/v1/proxy/{token name}/…) and never receive the access token: " +
			"fetching it with GET /api/v1/tokens/{name} is refused (403 proxy_only).",
	}
}
