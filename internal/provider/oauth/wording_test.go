package oauth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/provider"
	"golang.org/x/oauth2"
)

// Issue 18 item 21: the generic provider is named by its host, so a
// timeout names the host once; a service's own full stop is not doubled;
// Google's apps are registered in the Google Cloud Console, not "at
// Google Drive".
func TestOAuthMessagesReadRight(t *testing.T) {
	values := map[string]string{KeyTokenURL: "https://idp.example:8443/token"}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := client{}.problem(ctx, provider.Env{}, values, context.DeadlineExceeded, "exchange")
	if got := err.Error(); got != "idp.example:8443 did not answer in time." {
		t.Fatalf("timeout: %q", got)
	}
	err = client{}.problem(context.Background(), provider.Env{}, values, errors.New("dial tcp: connection refused"), "exchange")
	if got := err.Error(); strings.Count(got, "idp.example:8443") != 1 {
		t.Fatalf("unreachable: %q", got)
	}
	refused := &oauth2.RetrieveError{Response: &http.Response{StatusCode: 401, Header: http.Header{"Content-Type": {"application/json"}}}, ErrorCode: "invalid_client", ErrorDescription: "Client authentication failed."}
	err = client{}.problem(context.Background(), provider.Env{}, values, refused, "exchange")
	if got := err.Error(); !strings.Contains(got, "It said: “Client authentication failed.”") || strings.Contains(got, "”.") {
		t.Fatalf("quoted: %q", got)
	}

	for _, p := range Providers() {
		if p.Name != "Google Drive" {
			continue
		}
		for _, f := range p.Fields {
			if strings.Contains(f.Help, "at Google Drive") {
				t.Errorf("%s: %q", f.Label, f.Help)
			}
			if f.Key == KeyRedirectURI && !strings.Contains(f.Help, "the Google Cloud Console") {
				t.Errorf("Redirect URI: %q", f.Help)
			}
		}
	}
}
