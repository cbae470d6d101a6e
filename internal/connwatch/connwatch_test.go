package connwatch_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/clocktest"
	"github.com/tokendesk/tokendesk/internal/connwatch"
)

var limits = connwatch.Limits{Header: 10 * time.Second, Idle: 2 * time.Minute, Busy: time.Minute}

// served is a server watched with limits on a fake clock: "/" answers at
// once, "/slow" when release is closed, "/lifted" likewise after Lift.
func served(t *testing.T) (addr string, w *connwatch.Watch, clk *clocktest.Clock, release chan struct{}) {
	t.Helper()
	clk = clocktest.At(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	w = connwatch.New(limits, clk.Now)
	release = make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) { io.WriteString(rw, "ok") })
	mux.HandleFunc("/slow", func(rw http.ResponseWriter, r *http.Request) { <-release; io.WriteString(rw, "slow") })
	mux.HandleFunc("/lifted", func(rw http.ResponseWriter, r *http.Request) {
		connwatch.Lift(r.Context())
		<-release
		io.WriteString(rw, "lifted")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ConnState: w.ConnState, ConnContext: w.ConnContext}
	go srv.Serve(w.Listener(ln))
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
		srv.Close()
	})
	return ln.Addr().String(), w, clk, release
}

// client is one raw connection to the server.
type client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{t, c, bufio.NewReader(c)}
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.c, s); err != nil {
		c.t.Fatalf("sending: %v", err)
	}
}

// get sends a whole request for path and reads its answer's body.
func (c *client) get(path string) string {
	c.t.Helper()
	c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")
	return c.answer()
}

func (c *client) answer() string {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// closed reports whether the server has closed the connection (a read
// sees EOF or a reset within a second).
func (c *client) closed() bool {
	c.c.SetReadDeadline(time.Now().Add(time.Second))
	_, err := c.br.ReadByte()
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return err != nil
}

// settle waits until the server has moved the connection along (its
// phase changes as net/http reads and answers, a moment after the
// client's bytes leave).
func settle() { time.Sleep(50 * time.Millisecond) }

// sweepAt moves the clock by d and sweeps; the watch stamps phases with
// the clock of its last sweep, so a sweep first marks "now".
func sweepAt(w *connwatch.Watch, clk *clocktest.Clock, d time.Duration) int {
	clk.Advance(d)
	return w.Sweep()
}

func TestAnIdleConnectionIsClosedAfterTheIdleLimit(t *testing.T) {
	addr, w, clk, _ := served(t)
	w.Sweep()
	c := dial(t, addr)
	if got := c.get("/"); got != "ok" {
		t.Fatalf("answer %q", got)
	}
	settle()
	if n := sweepAt(w, clk, limits.Idle-time.Second); n != 0 {
		t.Fatalf("closed %d connections before the idle limit", n)
	}
	if got := c.get("/"); got != "ok" { // still usable, and idle again from now
		t.Fatalf("answer %q", got)
	}
	settle()
	sweepAt(w, clk, limits.Idle-time.Second)
	if c.closed() {
		t.Fatal("the idle limit counted from the first request, not the last")
	}
	if n := sweepAt(w, clk, 2*time.Second); n != 1 || !c.closed() {
		t.Fatalf("past the idle limit: %d closed; the connection closed: %v", n, c.closed())
	}
	if w.Open() != 0 {
		t.Fatalf("%d connections still watched", w.Open())
	}
}

// A slowloris: a header sent a little at a time, never finished.
func TestAHeaderNotFinishedInTimeClosesTheConnection(t *testing.T) {
	addr, w, clk, _ := served(t)
	w.Sweep()

	first := dial(t, addr)
	first.send("GET / HTTP/1.1\r\nHost: x\r\n")
	settle()
	sweepAt(w, clk, limits.Header-time.Second)
	first.send("X-Slow: 1\r\n") // more bytes do not restart the limit
	settle()
	if n := sweepAt(w, clk, 2*time.Second); n != 1 || !first.closed() {
		t.Fatalf("a first request's header past the limit: %d closed", n)
	}

	// After an answered request: the next one's first bytes start the
	// header limit, however long the idle limit is.
	later := dial(t, addr)
	if got := later.get("/"); got != "ok" {
		t.Fatalf("answer %q", got)
	}
	settle()
	sweepAt(w, clk, time.Minute)
	later.send("GET / HT")
	settle()
	w.Sweep()
	if n := sweepAt(w, clk, limits.Header+time.Second); n != 1 || !later.closed() {
		t.Fatalf("a later request's header past the limit: %d closed", n)
	}

	// A connection that never sends anything is held no longer.
	silent := dial(t, addr)
	settle()
	if n := sweepAt(w, clk, limits.Header+time.Second); n != 1 || !silent.closed() {
		t.Fatalf("a silent connection past the header limit: %d closed", n)
	}
}

func TestARequestNotAnsweredInTimeClosesTheConnectionUnlessLifted(t *testing.T) {
	addr, w, clk, release := served(t)
	w.Sweep()
	slow, lifted := dial(t, addr), dial(t, addr)
	slow.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	lifted.send("GET /lifted HTTP/1.1\r\nHost: x\r\n\r\n")
	settle()
	if n := sweepAt(w, clk, limits.Busy-time.Second); n != 0 {
		t.Fatalf("closed %d busy connections before the limit", n)
	}
	if n := sweepAt(w, clk, 2*time.Second); n != 1 || !slow.closed() {
		t.Fatalf("a request past the busy limit: %d closed", n)
	}
	sweepAt(w, clk, time.Hour)
	close(release)
	if got := lifted.answer(); got != "lifted" {
		t.Fatalf("the lifted request's answer: %q", got)
	}
	// Its next request is limited again.
	lifted.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	settle()
	if got := lifted.answer(); got != "slow" { // release is closed: answered at once
		t.Fatalf("answer %q", got)
	}
}

func TestAHijackedConnectionIsLetGo(t *testing.T) {
	clk := clocktest.At(time.Now())
	w := connwatch.New(limits, clk.Now)
	hijacked := make(chan net.Conn, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ConnState: w.ConnState, Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		c, _, err := rw.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		hijacked <- c
	})}
	go srv.Serve(w.Listener(ln))
	t.Cleanup(func() { srv.Close() })
	c := dial(t, ln.Addr().String())
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	hc := <-hijacked
	defer hc.Close()
	if n := sweepAt(w, clk, 24*time.Hour); n != 0 || w.Open() != 0 {
		t.Fatalf("a hijacked connection: %d closed, %d watched", n, w.Open())
	}
}

func TestRunSweepsUntilItsContextEnds(t *testing.T) {
	w := connwatch.New(connwatch.Limits{Header: time.Millisecond}, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ConnState: w.ConnState, Handler: http.NotFoundHandler()}
	go srv.Serve(w.Listener(ln))
	t.Cleanup(func() { srv.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	c := dial(t, ln.Addr().String())
	c.c.SetReadDeadline(time.Now().Add(3 * connwatch.Tick))
	if _, err := c.br.ReadByte(); err == nil || strings.Contains(err.Error(), "timeout") {
		t.Fatalf("a silent connection was not closed by Run within two ticks: %v", err)
	}
	cancel()
	<-done
}
