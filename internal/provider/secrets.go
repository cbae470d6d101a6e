package provider

// SecretValues are the values of a token that must never be shown or
// logged, typed or stored: its secret fields, its grant (access and
// refresh token) and the key material tokendesk keeps for it. Text a
// service sends back is quoted only after these are taken out of it
// (Redact), since a service may echo what it was sent.
func (p Provider) SecretValues(values map[string]string) []string {
	var out []string
	add := func(key string) {
		if v := values[key]; v != "" {
			out = append(out, v)
		}
	}
	for _, f := range p.Fields {
		if f.Secret {
			add(f.Key)
		}
	}
	if p.Tokens.Access != "" {
		add(p.Tokens.Access)
	}
	if p.Tokens.Refresh != "" {
		add(p.Tokens.Refresh)
	}
	for _, k := range p.Kept {
		add(k)
	}
	return out
}
