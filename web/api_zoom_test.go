package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Finding 5: a Server-to-Server token's answer carries Zoom's api_url, from
// the button's token and from each renewal: a ZoomGov account's consumer
// learns https://api.zoomgov.com, where api.zoom.us would refuse its token.
func TestZoomServerToServerAnswerCarriesAPIURL(t *testing.T) {
	for _, tt := range []struct{ region, apiURL string }{
		{"zoom", "https://api.zoom.us"},
		{"zoomgov", "https://api.zoomgov.com"},
	} {
		t.Run(tt.region, func(t *testing.T) {
			ts := newTestServer(t)
			ts.signInAdmin()
			ts.zoom.SetBaseURL(tt.apiURL) // what Zoom names as api_url in its token answer
			ts.get("/tokens/new/zoom-s2s")
			form := url.Values{"name": {"Meetings"}, "region": {tt.region}, "account_id": {zoomAccount}, "client_id": {zoomClient},
				"client_secret": {zoomClientSecret}, "renewal_rate": {"1h"}, "action": {"get_token"}}
			p := ts.post("/tokens/new/zoom-s2s", form)
			pending, _ := p.Doc.Find("input[name=pending]").Attr("value")
			form.Del("action")
			form.Set("pending", pending)
			wantRedirect(t, ts.post("/tokens/new/zoom-s2s", form), "/tokens")
			key := createClient(t, ts, "/clients", "Scheduler")

			a := apiGet(t, ts, key, "Meetings")
			if a.Status != http.StatusOK || a.Token["api_url"] != tt.apiURL || a.Token["provider"] != "zoom-s2s" {
				t.Fatalf("saved from the button: %d %v %q", a.Status, a.Token, a.Error.Message)
			}
			// The hour-long token expired; the API obtains one on demand.
			ts.clock.Advance(2 * time.Hour)
			b := apiGet(t, ts, key, "Meetings")
			if b.Status != http.StatusOK || b.Token["access_token"] == a.Token["access_token"] || b.Token["api_url"] != tt.apiURL {
				t.Fatalf("renewed on demand: %d %v %q", b.Status, b.Token, b.Error.Message)
			}
		})
	}
}

// Finding 5: a Zoom JWT app token gets no JWT that Zoom refuses (code
// 124) but a 410 that says why and what to use instead.
func TestRetiredZoomJWTTokenIsGoneFromTheAPI(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	ts.get("/tokens/new/zoom")
	wantRedirect(t, ts.post("/tokens/new/zoom", zoomForm("Meetings")), "/tokens")
	key := createClient(t, ts, "/clients", "Scheduler")
	ts.zoom.SetDeprecated(false) // even where a legacy Zoom still took JWTs
	a := apiGet(t, ts, key, "Meetings")
	if a.Status != http.StatusGone || a.Error.Code != "retired" ||
		!strings.Contains(a.Error.Message, "Zoom retired JWT apps in 2023") || !strings.Contains(a.Error.Message, "Zoom (Server-to-Server OAuth)") {
		t.Fatalf("%d %s %q", a.Status, a.Error.Code, a.Error.Message)
	}
	if strings.Contains(a.Error.Message, zoomSecret) || strings.Contains(a.Error.Message, zoomKey) {
		t.Fatal("credentials in the answer")
	}
}
