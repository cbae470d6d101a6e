package web

import (
	"sync"

	"github.com/medama-io/go-useragent"
)

// uaParser is built on first use (it takes a few tens of milliseconds), then shared.
var uaParser = sync.OnceValue(useragent.NewParser)

// deviceName says what a User-Agent is, as people name it: "Chrome on
// Linux", "Safari on iOS"; a header no parser knows is shown cut short
// rather than hidden.
func deviceName(ua string) string {
	if ua == "" {
		return "Unknown device"
	}
	r := uaParser().Parse(ua)
	browser, os := string(r.GetBrowser()), string(r.GetOS())
	switch {
	case browser != "" && os != "":
		return browser + " on " + os
	case browser != "":
		return browser
	case os != "":
		return "A browser on " + os
	}
	return truncateRunes(ua, 60)
}
