package oauth

import (
	"testing"

	"github.com/tokendesk/tokendesk/internal/provider"
)

// Zoom user OAuth on ZoomGov goes to zoomgov.com, unless the process
// points Zoom at an emulator; URLs typed for another host stay as typed.
func TestZoomEndpoints(t *testing.T) {
	zoomUS := map[string]string{KeyAuthURL: "https://zoom.us/oauth/authorize", KeyTokenURL: "https://zoom.us/oauth/token"}
	for _, tc := range []struct {
		cloud, env, auth, token string
	}{
		{ZoomCloud, "", "https://zoom.us/oauth/authorize", "https://zoom.us/oauth/token"},
		{ZoomGovCloud, "", "https://zoomgov.com/oauth/authorize", "https://zoomgov.com/oauth/token"},
		{ZoomGovCloud, "https://zoom.us", "https://zoomgov.com/oauth/authorize", "https://zoomgov.com/oauth/token"},
		{ZoomCloud, "http://127.0.0.1:9090/", "http://127.0.0.1:9090/oauth/authorize", "http://127.0.0.1:9090/oauth/token"},
	} {
		v := map[string]string{KeyZoomCloud: tc.cloud}
		for k, x := range zoomUS {
			v[k] = x
		}
		a, tok := zoomEndpoints(provider.Env{URLs: map[string]string{"zoom_oauth": tc.env}}, v)
		if a != tc.auth || tok != tc.token {
			t.Errorf("%s with %q: %s %s", tc.cloud, tc.env, a, tok)
		}
	}
	a, _ := zoomEndpoints(provider.Env{URLs: map[string]string{"zoom_oauth": "http://127.0.0.1:9090"}}, map[string]string{KeyAuthURL: "https://zoom.example/oauth/authorize"})
	if a != "https://zoom.example/oauth/authorize" {
		t.Errorf("typed URL moved: %s", a)
	}
}

// Salesforce: the default login host moves to the Sandbox or My Domain.
func TestSalesforceEndpoints(t *testing.T) {
	v := map[string]string{KeyAuthURL: "https://login.salesforce.com/services/oauth2/authorize", KeyTokenURL: "https://login.salesforce.com/services/oauth2/token"}
	for login, want := range map[string]string{
		SalesforceProduction: "https://login.salesforce.com/services/oauth2/token",
		SalesforceSandbox:    "https://test.salesforce.com/services/oauth2/token",
		SalesforceMyDomain:   "https://acme.my.salesforce.com/services/oauth2/token",
	} {
		v[KeySalesforceLogin], v[KeyMyDomain] = login, "acme.my.salesforce.com"
		if _, tok := salesforceEndpoints(provider.Env{}, v); tok != want {
			t.Errorf("%s: %s", login, tok)
		}
	}
}

// The presets' "who am I" answers name the account.
func TestDescribeAccount(t *testing.T) {
	for body, want := range map[string]string{
		`{"user":{"displayName":"Ada","emailAddress":"ada@example.com"}}`:             "Ada (ada@example.com)",
		`{"displayName":"Ada","userPrincipalName":"ada@contoso.com"}`:                 "Ada (ada@contoso.com)",
		`{"type":"user","name":"Ada","login":"ada@box.example"}`:                      "Ada (ada@box.example)",
		`{"account_id":"dbid:1","name":{"display_name":"Ada"},"email":"a@d.example"}`: "Ada (a@d.example)",
		`{"first_name":"Ada","last_name":"Lovelace","email":"ada@zoom.example"}`:      "Ada Lovelace (ada@zoom.example)",
		`{"sub":"005x"}`: "005x",
		`not json`:       "",
	} {
		if got := describeAccount([]byte(body)); got != want {
			t.Errorf("%s: %q, want %q", body, got, want)
		}
	}
}
