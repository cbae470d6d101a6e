package oauthtest

import (
	"net/url"
	"testing"
)

// Zoho gives a refresh token only with access_type=offline and
// prompt=consent (oauth-services.md); an app that leaves either out gets
// an access token alone, and so must the emulator's.
func TestZohoRefreshTokenNeedsOfflineAndConsent(t *testing.T) {
	zoho := Vendors["oauth2-zoho"]
	for _, tc := range []struct {
		params  url.Values
		offline bool
	}{
		{url.Values{"access_type": {"offline"}, "prompt": {"consent"}}, true},
		{url.Values{"access_type": {"offline"}}, false},
		{url.Values{"prompt": {"consent"}}, false},
		{url.Values{}, false},
	} {
		tc.params.Set("scope", "ZohoCRM.modules.ALL")
		if _, offline, code, _ := zoho.authorize(tc.params); code != "" || offline != tc.offline {
			t.Errorf("%s: refresh token %v (%s), want %v", tc.params.Encode(), offline, code, tc.offline)
		}
	}
}
