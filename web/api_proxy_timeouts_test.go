package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/clocktest"
	"github.com/tokendesk/tokendesk/internal/connwatch"
)

// slowReader gives n bytes a chunk at a time, pausing between chunks.
type slowReader struct {
	chunks int
	pause  time.Duration
}

func (r *slowReader) Read(p []byte) (int, error) {
	if r.chunks == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.pause)
	r.chunks--
	return copy(p, "0123456789"), nil
}

// A download or an upload through the proxy that lasts longer than the
// server's limit on answering a request (tokendesk serve: a minute, made
// for pages and fetches, kept by its connection watch; a server's read
// and write timeouts) arrives whole: the proxy lifts it for its call.
func TestAPIProxyCallsOutlastTheServerTimeouts(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "text/plain")
			for range 8 {
				io.WriteString(w, "0123456789")
				w.(http.Flusher).Flush()
				time.Sleep(100 * time.Millisecond)
			}
			return
		}
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, "got "+itoa(int64(len(b))))
	}))
	t.Cleanup(up.Close)
	ts, key := proxyingTo(t, up.URL)

	// The console as served, with timeouts a tenth of the calls' length.
	served := httptest.NewUnstartedServer(ts.srv)
	served.Config.ReadTimeout, served.Config.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond
	served.Start()
	t.Cleanup(served.Close)

	call := func(method string, body io.Reader) (int, string, error) {
		req, _ := http.NewRequest(method, served.URL+"/api/v1/proxy/Files/big", body)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	calls := func(what string) {
		t.Helper()
		if code, got, err := call(http.MethodGet, nil); err != nil || code != http.StatusOK || got != strings.Repeat("0123456789", 8) {
			t.Fatalf("%s: an 800 ms download: %d %q %v", what, code, got, err)
		}
		if code, got, err := call(http.MethodPut, &slowReader{chunks: 8, pause: 100 * time.Millisecond}); err != nil || code != http.StatusOK || got != "got 80" {
			t.Fatalf("%s: an 800 ms upload: %d %q %v", what, code, got, err)
		}
	}
	calls("read and write timeouts")

	// tokendesk serve: the connection watch, its clock an hour further on
	// every 100 ms of the calls, sweeping each time.
	clock := clocktest.At(time.Now())
	watch := connwatch.New(connwatch.Limits{Header: time.Second, Idle: time.Minute, Busy: 300 * time.Millisecond}, clock.Now)
	watched := httptest.NewUnstartedServer(ts.srv)
	watched.Listener = watch.Listener(watched.Listener)
	watched.Config.ConnState, watched.Config.ConnContext = watch.ConnState, watch.ConnContext
	watched.Start()
	t.Cleanup(watched.Close)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				clock.Advance(time.Hour)
				watch.Sweep()
			}
		}
	}()
	served.URL = watched.URL
	calls("the connection watch")
}
