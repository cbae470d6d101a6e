package web

import (
	"sync"
	"time"

	"github.com/medama-io/go-useragent"
)

// The User-Agent parser is a trie of some 166,000 small objects (5 MB)
// that takes 60–100 ms to build. Built at start and kept for the
// process's life, it was most of a serving process's live heap, which
// the collector marks on every cycle: each cycle took 20–60 ms instead of
// 3–8, and the runtime API's and the proxy's slowest calls were the ones
// that ran meanwhile (issue 22 item 2). It is held only while the console
// is in use: a signed-in person's page starts building it in the
// background (so that /sessions seldom waits for it), and it is let go
// uaKeep after it was last wanted. A replica only apps call never builds it.
const uaKeep = 10 * time.Minute

// sharedUA is the process's parser: one for every server (tests run many).
var sharedUA = &uaParsers{keep: uaKeep}

// uaParsers holds the parser while it is wanted.
type uaParsers struct {
	keep time.Duration

	mu    sync.Mutex
	cur   *uaBuild // nil: none held
	last  time.Time
	timer *time.Timer
}

// uaBuild is one parser, ready when done is closed.
type uaBuild struct {
	done chan struct{}
	p    *useragent.Parser
}

// want is the parser held now, its build started if there is none; it is
// kept keep from now.
func (u *uaParsers) want() *uaBuild {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.last = time.Now()
	if u.cur == nil {
		b := &uaBuild{done: make(chan struct{})}
		go func() { b.p = useragent.NewParser(); close(b.done) }()
		u.cur = b
		if u.timer == nil {
			u.timer = time.AfterFunc(u.keep, u.letGo)
		} else {
			u.timer.Reset(u.keep)
		}
	}
	return u.cur
}

// letGo drops the parser once it has not been wanted for keep.
func (u *uaParsers) letGo() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if idle := time.Since(u.last); idle < u.keep {
		u.timer.Reset(u.keep - idle)
		return
	}
	u.cur = nil
}

// warm starts building the parser if none is held, without waiting.
func (u *uaParsers) warm() { u.want() }

// held says whether a parser is held (built or being built).
func (u *uaParsers) held() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.cur != nil
}

// parser is the parser, built first if need be.
func (u *uaParsers) parser() *useragent.Parser {
	b := u.want()
	<-b.done
	return b.p
}

// deviceName says what a User-Agent is, as people name it: "Chrome on
// Linux", "Safari on iOS"; a header no parser knows is shown cut short
// rather than hidden.
func (s *Server) deviceName(ua string) string {
	if ua == "" {
		return "Unknown device"
	}
	r := s.ua.parser().Parse(ua)
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
