package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
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
// server's read and write timeouts (tokendesk serve: 30 and 60 s, made
// for pages and fetches) arrives whole: the proxy lifts them for its call.
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
	if code, got, err := call(http.MethodGet, nil); err != nil || code != http.StatusOK || got != strings.Repeat("0123456789", 8) {
		t.Fatalf("an 800 ms download: %d %q %v", code, got, err)
	}
	if code, got, err := call(http.MethodPut, &slowReader{chunks: 8, pause: 100 * time.Millisecond}); err != nil || code != http.StatusOK || got != "got 80" {
		t.Fatalf("an 800 ms upload: %d %q %v", code, got, err)
	}
}
