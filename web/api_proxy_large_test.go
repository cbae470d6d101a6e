package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"

	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/store"
)

// pattern is n bytes made as they are read: a 200 MB body that exists
// nowhere at once.
type pattern struct{ left int64 }

// alphabets is the pattern's bytes, copied from rather than written one by
// one (under -race, a write a byte made this test ten seconds longer).
var alphabets = func() []byte {
	b := make([]byte, 64<<10+26)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}()

func (p *pattern) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.left)]
	for n := 0; n < len(b); {
		n += copy(b[n:], alphabets[n%26:])
	}
	p.left -= int64(len(b))
	return len(b), nil
}

// A 200 MB download and a 200 MB upload stream through the proxy: every
// byte arrives, and the process allocates a small fraction of the body
// (it is never held whole, in tokendesk or anywhere).
func TestAPIProxyStreams200MB(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 400 MB")
	}
	runAlone(t) // it counts the process's allocations
	const size = 200 << 20
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			w.Header().Set("Content-Length", strconv.Itoa(size))
			io.Copy(w, &pattern{left: size})
		default:
			n, _ := io.Copy(io.Discard, r.Body)
			fmt.Fprintf(w, `{"got":%d}`, n)
		}
	}))
	t.Cleanup(up.Close)
	ts, key := proxyingTo(t, up.URL)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	req, _ := http.NewRequest("GET", ts.http.URL+"/api/v1/proxy/Files/big", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || n != size {
		t.Fatalf("download: %d, %d bytes", resp.StatusCode, n)
	}
	req, _ = http.NewRequest("PUT", ts.http.URL+"/api/v1/proxy/Files/big", &pattern{left: size})
	req.ContentLength = size
	req.Header.Set("Authorization", "Bearer "+key)
	p := func() proxied {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return proxied{Status: resp.StatusCode, Body: string(b)}
	}()
	if p.Status != http.StatusOK || p.Body != fmt.Sprintf(`{"got":%d}`, size) {
		t.Fatalf("upload: %d %s", p.Status, p.Body)
	}
	runtime.ReadMemStats(&after)
	// Both ends run in this process too; all of them together allocate
	// what buffers take (the 1 MiB replay buffer is not used: the upload
	// is larger), nothing near a body.
	t.Logf("allocated %d MB moving 400 MB", (after.TotalAlloc-before.TotalAlloc)>>20)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 40<<20 {
		t.Fatalf("moving 2×200 MB allocated %d MB: a body is held", alloc>>20)
	}
}

// proxyingTo is a console with an OAuth 2.0 token "Files" whose API Base
// URL is apiBase (a test's upstream, on loopback: private targets are
// allowed), and an API client key that may call it through the proxy.
func proxyingTo(t *testing.T, apiBase string, opts ...testOption) (*testServer, string) {
	t.Helper()
	ts := newTestServer(t, opts...)
	emu := startOAuth(t, ts, oauthtest.Options{AutoApprove: true}, oauthtest.ClientSecretBasic)
	ts.signInAdmin()
	connectWithAPI(t, ts, emu, "Files", apiBase)
	key := createClient(t, ts, "/clients", "Sync")
	ts.store.SetSetting(context.Background(), store.SettingProvidersAllowPrivate, "true", adminEmail)
	return ts, key
}
