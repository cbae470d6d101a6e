package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// Issue 20 item 4: serving lets the heap grow four times its live size
// between collections, under a soft limit, unless GOGC or GOMEMLIMIT say
// otherwise.
func TestServeTunesTheCollector(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	prev, prevLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(prev); debug.SetMemoryLimit(prevLimit) })
	tuneGC()
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Fatalf("GC percent %d", got)
	}
	if got := debug.SetMemoryLimit(-1); got != gcMemoryLimit {
		t.Fatalf("memory limit %d", got)
	}
	t.Setenv("GOGC", "50")
	debug.SetGCPercent(50)
	tuneGC()
	if got := debug.SetGCPercent(100); got != 50 {
		t.Fatalf("GOGC=50 was overridden: %d", got)
	}
}
