package main

import (
	"os"
	"runtime/debug"
)

// The Go collector's default (GOGC=100) starts a cycle each time the heap
// has grown by its live size. A tokendesk process keeps several MB live
// (the User-Agent parser's trie, the runtime API's index) and allocates a
// little on every request, most of it in net/http itself: at the default
// it marked its whole live heap every few thousand fetches, which cost a
// fetch more CPU than the handler's own work (issue 20 item 4; a bare
// handler's heap stays under the collector's 4 MB floor). Letting the heap
// grow four times its live size between cycles costs memory that is
// cheap here (about 5× a live heap of tens of MB) and halves a fetch's
// CPU; the soft limit makes the collector work harder rather than let an
// unusually large heap grow past it. GOGC and GOMEMLIMIT, when set, win.
const (
	gcPercent     = 400
	gcMemoryLimit = 1 << 30
)

// tuneGC sets the collector for serving unless the environment did.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(gcMemoryLimit)
	}
}
