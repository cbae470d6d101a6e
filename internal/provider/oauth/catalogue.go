package oauth

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// Catalogue is what a service's vendor documents beyond its two URLs
// (docs/oauth-services.md): a row of data, so that adding a service is one
// row here and its test data in oauthtest (vendor_catalogue.go), no code.
type Catalogue struct {
	// Group is the picker's group (GroupProductivity, …).
	Group string
	// ScopeSeparator joins the Scope's scopes where the service wants
	// another separator than a space (Slack's and Zoom's commas). People
	// type scopes separated by spaces either way.
	ScopeSeparator string
	// JSONBody sends token requests as JSON, not form-encoded (Notion).
	JSONBody bool
	// NoPKCE: the service does not document PKCE (Box's /authorize), so
	// the form does not send a challenge unless asked.
	NoPKCE bool
	// Values are what an app needs besides the token, stored with it and
	// handed out with it by the runtime API: from the token answer, from
	// the callback, or from one request made after connecting.
	Values []Value
	// Header is how the token is presented to the service: "" is
	// Authorization: Bearer, anything else a header holding the bare token
	// (Shopify's X-Shopify-Access-Token). Test Connection and the lookups
	// present it so; the proxy will.
	Header string
	// APIBase is the service's API base URL ({keys} of fields and values
	// filled), for the proxy.
	APIBase string
	// Rotates: every refresh returns a new refresh token and the spent one
	// dies (tokendesk always keeps the newest).
	Rotates bool
	// NoExpiry: the service's access tokens do not expire (Mailchimp,
	// Slack without token rotation, GitHub OAuth Apps, Shopify offline
	// tokens, monday.com's legacy tokens). A renewal without a refresh
	// token then asks the service's "who am I" whether the token still
	// works, and keeps it for AccessLifetime more if so.
	NoExpiry bool
	// Subst maps a field's option to the text put in the URLs ({region}
	// of Intercom: "eu" becomes "eu.").
	Subst map[string]map[string]string
	// Derived are {keys} of the who-am-I, lookups and API base made from
	// a field's value where the vendor lays its hosts out unevenly:
	// GitHub's API is api.github.com for github.com but
	// {github_host}/api/v3 on an Enterprise Server.
	Derived []Derived
	// Docs is the vendor's page the facts come from.
	Docs string
	// Also are other names people search the service by (Gmail, Outlook).
	Also string
	// RefreshExpiresIn is the answer's field saying how long the refresh
	// token lives when it is not refresh_token_expires_in (QuickBooks'
	// x_refresh_token_expires_in, Airtable's refresh_expires_in).
	RefreshExpiresIn string
}

func (ps Preset) refreshExpiresField() string {
	if ps.RefreshExpiresIn != "" {
		return ps.RefreshExpiresIn
	}
	return "refresh_token_expires_in"
}

// Derived is a {Key} filled from the field From: Known's text for a
// value it lists, else Else with {From} filled.
type Derived struct {
	Key, From string
	Known     map[string]string
	Else      string
}

// Where a Value comes from.
const (
	FromAnswer   = "answer"   // the token answer (Slack's team.id)
	FromCallback = "callback" // the callback's query (QuickBooks' realmId)
	FromLookup   = "lookup"   // a request made with the new token (Atlassian's accessible-resources)
)

// Value is one value an app needs besides the token.
type Value struct {
	// Key is the name it is stored and handed out under.
	Key  string
	From string
	// Path is where it is: a dotted path in the JSON answer (team.id,
	// 0.id, accounts.0.base_uri), or the callback's query parameter.
	Path string
	// Lookup is the URL read with the token for FromLookup ({keys} filled).
	Lookup string
}

// The picker's groups, in its order.
const (
	GroupProductivity = "Productivity and collaboration"
	GroupCRM          = "CRM and marketing"
	GroupSupport      = "Support and IT service"
	GroupFinance      = "Finance, commerce and signatures"
	GroupDeveloper    = "Developer tools"
	GroupIdentity     = "Identity"
)

// Groups are the catalogue's groups in the picker's order.
var Groups = []string{GroupProductivity, GroupCRM, GroupSupport, GroupFinance, GroupDeveloper, GroupIdentity}

// GroupOf is the picker group of a provider ID; "" for providers that are
// not in the catalogue (the generic OAuth 2.0, vendors with their own method).
func GroupOf(id string) string {
	for _, ps := range Presets {
		if ps.ID == id {
			return ps.Group
		}
	}
	return ""
}

// PresetByID finds a catalogue row.
func PresetByID(id string) (Preset, bool) {
	for _, ps := range Presets {
		if ps.ID == id {
			return ps, true
		}
	}
	return Preset{}, false
}

var labelPattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// hostPart is a field whose value is one label of the service's host name
// (a Zendesk subdomain, a Shopify shop, a ServiceNow instance): one DNS
// label, so that nothing typed can move a URL to another host.
func hostPart(key, label, example, help string) provider.Field {
	return provider.Field{
		Key: key, Label: label, Control: provider.Text, Required: true, Credential: true, Endpoint: true, MaxLen: 63,
		Placeholder: example,
		Check: func(v string) string {
			if !labelPattern.MatchString(v) {
				return "Enter the " + strings.ToLower(label) + " alone (letters, digits and hyphens), such as " + example + "."
			}
			return ""
		},
		Help: help,
	}
}

// hostName is a field holding a whole host name (an Okta domain, a
// self-managed GitLab, GitHub Enterprise Server), without scheme or path.
func hostName(key, label, def, example, help string) provider.Field {
	return provider.Field{
		Key: key, Label: label, Control: provider.Text, Required: true, Credential: true, Endpoint: true, MaxLen: 253,
		Default: def, DefaultWhenMissing: def != "", Placeholder: example,
		Check: func(v string) string {
			if !hostPattern.MatchString(v) {
				return "Enter the host name alone, without https:// or a path, such as " + example + "."
			}
			return ""
		},
		Help: help,
	}
}

func choice(key, label, def, help string, opts ...provider.Option) provider.Field {
	return provider.Field{
		Key: key, Label: label, Control: provider.Select, Credential: true, Endpoint: true,
		DefaultWhenMissing: true, Default: def, Options: opts, Help: help,
	}
}

var placeholder = regexp.MustCompile(`\{([a-z0-9_]+)\}`)

// fieldEndpoints fills the {key} of the preset's own fields in the typed
// Authorization and Token URLs.
func fieldEndpoints(ps Preset) func(provider.Env, map[string]string) (string, string) {
	return func(_ provider.Env, values map[string]string) (string, string) {
		v := ps.substituted(values)
		fill := func(u string) string {
			return placeholder.ReplaceAllStringFunc(u, func(m string) string {
				k := m[1 : len(m)-1]
				_, mapped := ps.Subst[k]
				for _, f := range ps.Fields {
					if f.Key == k && (v[k] != "" || mapped && values[k] != "") {
						return v[k]
					}
				}
				return m
			})
		}
		return fill(values[KeyAuthURL]), fill(values[KeyTokenURL])
	}
}

// substituted is values with the fields' options turned into the text
// their URLs hold (Subst), and the Derived keys filled.
func (ps Preset) substituted(values map[string]string) map[string]string {
	if len(ps.Subst) == 0 && len(ps.Derived) == 0 {
		return values
	}
	out := make(map[string]string, len(values))
	for k, v := range values {
		out[k] = v
	}
	for k, m := range ps.Subst {
		if s, ok := m[values[k]]; ok {
			out[k] = s
		}
	}
	for _, d := range ps.Derived {
		from := values[d.From]
		switch known, ok := d.Known[from]; {
		case ok:
			out[d.Key] = known
		case from != "":
			out[d.Key] = strings.ReplaceAll(d.Else, "{"+d.From+"}", from)
		default:
			// Unfilled: expand then names the field as missing.
			delete(out, d.Key)
		}
	}
	return out
}

// answerKeys are the values handed out with the token: the preset's Keep
// and its Values.
func (ps Preset) answerKeys() []string {
	out := append([]string(nil), ps.Keep...)
	for _, v := range ps.Values {
		out = append(out, v.Key)
	}
	return out
}

// dig follows a dotted path (team.id, 0.id, emails.0) in decoded JSON and
// returns what is there as text; "" when it is not a string or number.
func dig(v any, path string) string {
	var steps []string
	if path != "" {
		steps = strings.Split(path, ".")
	}
	for _, p := range steps {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i := -1
			for n, r := range p {
				if r < '0' || r > '9' || n > 4 {
					i = -1
					break
				}
				if i < 0 {
					i = 0
				}
				i = i*10 + int(r-'0')
			}
			if i < 0 || i >= len(x) {
				return ""
			}
			v = x[i]
		default:
			return ""
		}
	}
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

const month = 30 * day

// withCatalogue is the six presets that came first followed by the
// catalogue's rows, each with its catalogue facts and, where its URLs hold
// its fields' {keys}, their filling.
func withCatalogue(six []Preset) []Preset {
	out := append(slices.Clone(six), catalogue...)
	for i := range out {
		ps := &out[i]
		if f, ok := sixFacts[ps.ID]; ok {
			ps.Catalogue = f
		}
		if ps.Endpoints == nil && len(ps.Fields) > 0 {
			ps.Endpoints = fieldEndpoints(*ps)
		}
	}
	return out
}

// sixFacts are the catalogue's facts of the six presets that came first
// (presets.go), with the corrections docs/oauth-services.md lists.
var sixFacts = map[string]Catalogue{
	"oauth2-google-drive": {Group: GroupProductivity, Also: "Google Gmail Calendar Sheets Docs", APIBase: "https://www.googleapis.com",
		Docs: "https://developers.google.com/identity/protocols/oauth2/web-server"},
	"oauth2-microsoft-sharepoint": {Group: GroupProductivity, Also: "Microsoft 365 Graph Outlook OneDrive Teams Entra Office", Rotates: true, APIBase: "https://graph.microsoft.com/v1.0",
		Docs: "https://learn.microsoft.com/entra/identity-platform/refresh-tokens"},
	// Box does not document PKCE on /authorize.
	"oauth2-box": {Group: GroupProductivity, Rotates: true, NoPKCE: true, APIBase: "https://api.box.com/2.0",
		Docs: "https://developer.box.com/guides/authentication/tokens/refresh/"},
	"oauth2-salesforce": {Group: GroupCRM, APIBase: "{instance_url}/services/data",
		Docs: "https://help.salesforce.com/s/articleView?id=005316711"},
	"oauth2-dropbox": {Group: GroupProductivity, APIBase: "https://api.dropboxapi.com/2",
		Values: []Value{{Key: "team_id", From: FromAnswer, Path: "team_id"}},
		Docs:   "https://dropbox.tech/developers/migrating-app-permissions-and-access-tokens"},
	"oauth2-zoom-user": {Group: GroupProductivity, Also: "meetings ZoomGov", Rotates: true, ScopeSeparator: ",", APIBase: "{api_url}/v2",
		Docs: "https://devsupport.zoom.us/hc/en-us/articles/360060332931"},
}

// callbackParams are the callback's parameters the rows' Values read.
func (ps Preset) callbackParams() []string {
	var out []string
	for _, v := range ps.Values {
		if v.From == FromCallback {
			out = append(out, v.Path)
		}
	}
	return out
}

// pkceDefault is on unless the service does not document PKCE (Box).
func pkceDefault(ps Preset) string {
	if ps.NoPKCE {
		return ""
	}
	return "on"
}

func scopeHelp(ps Preset) string {
	if ps.ScopeSeparator != "" && ps.ScopeSeparator != " " {
		return "Specifies the scopes to ask for, separated by spaces (tokendesk sends them separated by \u201c" + ps.ScopeSeparator + "\u201d, as " + ps.Name + " wants)."
	}
	return "Specifies the scopes to ask for, separated by spaces."
}

// checkTemplateURL checks a typed Authorization or Token URL whose host
// may hold a row's {key} (https://{subdomain}.zendesk.com/…): the URL as
// it will be once the key is filled with a valid value. The filled URL is
// checked again before any request.
func checkTemplateURL(v string) string {
	return checkURL(placeholder.ReplaceAllString(v, "x"))
}
