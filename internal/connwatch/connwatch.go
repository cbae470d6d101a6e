// Package connwatch keeps an HTTP server's connections from being held by
// clients that stall: one too slow to send a request's header, one idle
// too long between requests, one whose request is not answered in time
// (a client that stops reading its answers). It does what net/http's
// ReadHeaderTimeout, IdleTimeout and Read/WriteTimeout do, but instead of
// re-arming the socket's deadlines three or four times a request (a
// runtime timer each, a good part of what a fetch of the runtime API
// cost over a bare handler: issue 20 item 4) it stamps each connection's
// phase with a coarse clock as net/http moves it along, and one sweep a
// second closes the connections over their phase's limit.
//
// A limit is kept to within one sweep: a connection is closed between
// limit and limit plus a second (Tick) after its phase began, never
// before limit minus Tick.
package connwatch

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokendesk/tokendesk/internal/jobs"
)

// Limits are how long a connection may spend in each phase.
type Limits struct {
	// Header: to send a request's header, from its first byte (from
	// connecting, for the first request).
	Header time.Duration
	// Idle: between the end of an answer and the next request's first
	// byte.
	Idle time.Duration
	// Busy: from a request's header read to its answer written (its body
	// read meanwhile), unless the handler lifts it (Lift).
	Busy time.Duration
}

// Tick is how often Run sweeps.
const Tick = time.Second

// Phases of a connection, packed with when the phase began (the coarse
// clock, in milliseconds) into one int64 so that a sweep never reads one
// phase with another's time.
const (
	phaseHeader = iota
	phaseIdle
	phaseBusy
	phaseLifted // busy, with no limit: the handler said so
	phaseBits   = 2
)

// Watch watches the connections of the listeners it wraps. It is safe for
// concurrent use.
type Watch struct {
	limits Limits
	clock  func() time.Time
	start  time.Time
	now    atomic.Int64 // milliseconds since start, as of the last sweep

	mu    sync.Mutex
	conns map[*conn]struct{}
}

// New returns a watch with limits; clock is nil for time.Now.
func New(limits Limits, clock func() time.Time) *Watch {
	if clock == nil {
		clock = time.Now
	}
	return &Watch{limits: limits, clock: clock, start: clock(), conns: map[*conn]struct{}{}}
}

// Listener wraps ln: its connections are watched.
func (w *Watch) Listener(ln net.Listener) net.Listener { return listener{ln, w} }

// ConnState is for http.Server.ConnState: net/http says when a request's
// header has been read (StateActive) and when its answer is written
// (StateIdle).
func (w *Watch) ConnState(nc net.Conn, s http.ConnState) {
	c, ok := nc.(*conn)
	if !ok {
		return
	}
	switch s {
	case http.StateActive:
		c.enter(phaseBusy)
	case http.StateIdle:
		c.enter(phaseIdle)
	case http.StateHijacked, http.StateClosed:
		w.forget(c)
	}
}

// ConnContext is for http.Server.ConnContext: it lets a handler find its
// connection (Lift).
func (w *Watch) ConnContext(ctx context.Context, nc net.Conn) context.Context {
	if c, ok := nc.(*conn); ok {
		return context.WithValue(ctx, connKey{}, c)
	}
	return ctx
}

type connKey struct{}

// Lift exempts the request of ctx from the Busy limit: its handler streams
// for as long as it needs (the API proxy's long downloads and uploads).
// The connection's next request is limited again. Outside a watched
// server it does nothing.
func Lift(ctx context.Context) {
	if c, ok := ctx.Value(connKey{}).(*conn); ok {
		c.enter(phaseLifted)
	}
}

// Run sweeps every Tick until ctx ends.
func (w *Watch) Run(ctx context.Context) { jobs.Every(ctx, Tick, func() { w.Sweep() }) }

// Sweep advances the watch's clock and closes every connection over its
// phase's limit; it returns how many it closed.
func (w *Watch) Sweep() int {
	now := w.clock().Sub(w.start).Milliseconds()
	w.now.Store(now)
	var over []*conn
	w.mu.Lock()
	for c := range w.conns {
		st := c.state.Load()
		phase, since := int(st&(1<<phaseBits-1)), st>>phaseBits
		var limit time.Duration
		switch phase {
		case phaseHeader:
			limit = w.limits.Header
		case phaseIdle:
			limit = w.limits.Idle
		case phaseBusy:
			limit = w.limits.Busy
		default:
			continue
		}
		if limit > 0 && now-since > limit.Milliseconds() {
			over = append(over, c)
			delete(w.conns, c)
		}
	}
	w.mu.Unlock()
	for _, c := range over {
		c.Conn.Close() // its server's read or write fails, and it lets the connection go
	}
	return len(over)
}

// Open is how many connections are watched.
func (w *Watch) Open() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.conns)
}

func (w *Watch) forget(c *conn) {
	w.mu.Lock()
	delete(w.conns, c)
	w.mu.Unlock()
}

type listener struct {
	net.Listener
	w *Watch
}

func (l listener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c := &conn{Conn: nc, w: l.w}
	c.enter(phaseHeader)
	l.w.mu.Lock()
	l.w.conns[c] = struct{}{}
	l.w.mu.Unlock()
	return c, nil
}

// conn is a watched connection. Only its server's goroutine for it moves
// its phase along; sweeps read it.
type conn struct {
	net.Conn
	w     *Watch
	state atomic.Int64 // since<<phaseBits | phase
}

func (c *conn) enter(phase int64) {
	c.state.Store(c.w.now.Load()<<phaseBits | phase)
}

// Read notices the first bytes of a request after an idle spell: from
// then on the Header limit counts.
func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.state.Load()&(1<<phaseBits-1) == phaseIdle {
		c.enter(phaseHeader)
	}
	return n, err
}

func (c *conn) Close() error {
	c.w.forget(c)
	return c.Conn.Close()
}
