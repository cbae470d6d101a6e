package oauth

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/provider/zoom"
)

// Keys of the presets' own fields and of further values their answers
// carry (docs/oauth-services.md).
const (
	// KeyTenant is SharePoint's Microsoft Entra tenant.
	KeyTenant = "tenant"
	// KeySalesforceLogin is where a Salesforce org signs in: Production,
	// a Sandbox or its My Domain (KeyMyDomain).
	KeySalesforceLogin = "salesforce_login"
	KeyMyDomain        = "my_domain"
	// KeyZoomCloud is Zoom or ZoomGov.
	KeyZoomCloud = "zoom_cloud"
	// KeyIdentityURL is Salesforce's identity URL (its answer's id).
	KeyIdentityURL = "id"
	// KeyAccountID is Dropbox's account_id.
	KeyAccountID = "account_id"
)

// Salesforce logins and Zoom clouds.
const (
	SalesforceProduction = "production"
	SalesforceSandbox    = "sandbox"
	SalesforceMyDomain   = "my_domain"
	ZoomCloud            = "zoom"
	ZoomGovCloud         = "zoomgov"
)

var tenantPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]{0,99}$`)

// tenantField is SharePoint's Tenant. Microsoft refuses /common for apps
// registered for one organization (the portal's default, AADSTS50194),
// and SharePoint needs a work or school account: organizations fits
// every app that may sign in work accounts; a single-tenant app needs its
// tenant ID or domain.
var tenantField = provider.Field{
	Key: KeyTenant, Label: "Tenant", Control: provider.Text, Required: true, Credential: true, Endpoint: true, MaxLen: 100,
	DefaultWhenMissing: true,
	Default:            "organizations",
	Check: func(v string) string {
		if !tenantPattern.MatchString(v) {
			return "Enter organizations, or your tenant ID (a GUID) or domain (contoso.onmicrosoft.com)."
		}
		return ""
	},
	Help: "Specifies the Microsoft Entra tenant to sign in to: organizations (any work or school account), " +
		"or your tenant ID or domain when the app is registered for your organization only.",
	Note: "It replaces {tenant} in the Authorization URL and Token URL.",
}

// tenantEndpoints puts the Tenant into the URLs' {tenant}.
func tenantEndpoints(_ provider.Env, values map[string]string) (string, string) {
	t := url.PathEscape(values[KeyTenant])
	if t == "" {
		t = "organizations"
	}
	return strings.ReplaceAll(values[KeyAuthURL], "{tenant}", t), strings.ReplaceAll(values[KeyTokenURL], "{tenant}", t)
}

var hostPattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$`)

var salesforceFields = []provider.Field{
	{
		Key: KeySalesforceLogin, Label: "Salesforce Login", Control: provider.Select, Credential: true, Endpoint: true,
		DefaultWhenMissing: true,
		Options: []provider.Option{
			{Value: SalesforceProduction, Label: "Production (login.salesforce.com)"},
			{Value: SalesforceSandbox, Label: "Sandbox (test.salesforce.com)"},
			{Value: SalesforceMyDomain, Label: "My Domain"},
		},
		Default: SalesforceProduction,
		Help:    "Specifies where the org signs in. Orgs that require their My Domain, and the Client Credentials grant, need My Domain.",
	},
	{
		Key: KeyMyDomain, Label: "My Domain", Control: provider.Text, Credential: true, Endpoint: true, MaxLen: 253,
		Placeholder:  "yourcompany.my.salesforce.com",
		RequiredWhen: &provider.Condition{Key: KeySalesforceLogin, Value: SalesforceMyDomain, Why: "the org signs in at its My Domain."},
		Check: func(v string) string {
			v = strings.TrimPrefix(strings.TrimSuffix(v, "/"), "https://")
			if !hostPattern.MatchString(v) {
				return "Enter the org's My Domain host name, such as yourcompany.my.salesforce.com."
			}
			return ""
		},
		Help: "Specifies the org's My Domain (Setup → My Domain), such as yourcompany.my.salesforce.com.",
	},
}

// salesforceHost is where the org signs in, "" for production.
func salesforceHost(values map[string]string) string {
	switch values[KeySalesforceLogin] {
	case SalesforceSandbox:
		return "test.salesforce.com"
	case SalesforceMyDomain:
		return strings.TrimPrefix(strings.TrimSuffix(values[KeyMyDomain], "/"), "https://")
	}
	return ""
}

// salesforceEndpoints moves the default login.salesforce.com URLs to the
// Sandbox or My Domain host; URLs typed for another host stay as typed.
func salesforceEndpoints(_ provider.Env, values map[string]string) (string, string) {
	host := salesforceHost(values)
	move := func(v string) string {
		u, err := url.Parse(v)
		if host == "" || err != nil || !strings.EqualFold(u.Host, "login.salesforce.com") {
			return v
		}
		u.Host = host
		return u.String()
	}
	return move(values[KeyAuthURL]), move(values[KeyTokenURL])
}

func salesforceClientCredentials(values map[string]string) string {
	if values[KeySalesforceLogin] != SalesforceMyDomain {
		return "Salesforce allows the Client Credentials grant only at an org's My Domain: choose My Domain as the Salesforce Login and enter it, " +
			"or use the Authorization Code grant."
	}
	return ""
}

var zoomCloudField = provider.Field{
	Key: KeyZoomCloud, Label: "Zoom Cloud", Control: provider.Select, Credential: true, Endpoint: true,
	DefaultWhenMissing: true,
	Options:            []provider.Option{{Value: ZoomCloud, Label: "Zoom (zoom.us)"}, {Value: ZoomGovCloud, Label: "ZoomGov (zoomgov.com)"}},
	Default:            ZoomCloud,
	Help:               "Specifies whether the app is registered at Zoom or at ZoomGov, Zoom's cloud for US government accounts.",
}

// zoomEndpoints sends the default zoom.us URLs to ZoomGov when chosen, and
// both to TOKENDESK_ZOOM_OAUTH_URL when the process points Zoom elsewhere
// (the demo's emulator, tests), as the Server-to-Server provider does.
func zoomEndpoints(env provider.Env, values map[string]string) (string, string) {
	base := "https://zoom.us"
	if values[KeyZoomCloud] == ZoomGovCloud {
		base = "https://zoomgov.com"
	}
	if o := env.URL(zoom.OAuth.Name); o != "" && o != zoom.OAuth.Default {
		base = o
	}
	swap := func(v string) string {
		for _, vendor := range []string{"https://zoom.us/", "https://zoomgov.com/"} {
			if rest, ok := strings.CutPrefix(v, vendor); ok {
				return base + "/" + rest
			}
		}
		return v
	}
	return swap(values[KeyAuthURL]), swap(values[KeyTokenURL])
}
