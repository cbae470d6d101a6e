package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// The proxy answers on tokendesk's own origin, so a header a service
// sends with its answer would act on the console itself: Clear-Site-Data
// would wipe its cookies (the sessions of everyone signed in), HSTS,
// Alt-Svc and Service-Worker-Allowed would change how browsers reach it,
// Access-Control-* would open it to other sites' scripts. These are
// dropped from every proxied answer; an app that needs one reads the
// service directly. The sandbox CSP is set by the proxy itself.
var proxyDroppedHeaders = []string{
	"Set-Cookie",
	"Set-Cookie2",
	"Clear-Site-Data",
	"Content-Security-Policy", // ours, stricter, is set
	"Content-Security-Policy-Report-Only",
	"Strict-Transport-Security",
	"Alt-Svc",
	"Service-Worker-Allowed",
	"Link",    // preload, modulepreload, a stylesheet for the console's origin
	"Refresh", // a redirect the browser follows outside the app's control
	"Origin-Agent-Cluster",
	"Permissions-Policy",
	"Feature-Policy",
	"Document-Policy",
	"Report-To",
	"Reporting-Endpoints",
	"NEL",
	"Timing-Allow-Origin",
	"Speculation-Rules",
	"Supports-Loading-Mode",
}

// proxyDroppedPrefixes are families of origin-affecting headers dropped
// whole: CORS (Access-Control-Allow-Origin, -Credentials, -Headers, …)
// and Cross-Origin-Opener/Embedder/Resource-Policy.
var proxyDroppedPrefixes = []string{"Access-Control-", "Cross-Origin-"}

// dropOriginHeaders removes from a service's answer every header that
// would act on tokendesk's origin (proxyDroppedHeaders).
func dropOriginHeaders(h http.Header) {
	for _, k := range proxyDroppedHeaders {
		delete(h, k)
	}
	for k := range h {
		for _, p := range proxyDroppedPrefixes {
			if strings.HasPrefix(http.CanonicalHeaderKey(k), p) {
				delete(h, k)
			}
		}
	}
}

// proxyFailureCause is what a failed proxied call logs: the cause of
// every *url.Error in err, without its URL, which holds the app's path
// and query string (a secret of the app's own may be in it). The host is
// logged beside it.
func proxyFailureCause(err error) error {
	for {
		var ue *url.Error
		if !errors.As(err, &ue) || ue.Err == nil {
			return err
		}
		err = ue.Err
	}
}
