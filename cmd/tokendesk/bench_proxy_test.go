package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/token"
)

// The proxy's benchmark (make bench-proxy, issue 22 item 2) runs three
// processes: an upstream (this test binary), tokendesk's proxy in front of
// it, and a bare httputil.ReverseProxy (this test binary again) in front
// of the same upstream, adding the same Authorization header.

// proxyBenchRole runs this test binary as the upstream or the bare proxy
// when the environment says so; false: it is the test binary.
func proxyBenchRole() bool {
	switch {
	case os.Getenv("TOKENDESK_BENCH_UPSTREAM_ADDR") != "":
		serveUpstream(os.Getenv("TOKENDESK_BENCH_UPSTREAM_ADDR"))
		return true
	case os.Getenv("TOKENDESK_BENCH_RP_ADDR") != "":
		serveBareProxy(os.Getenv("TOKENDESK_BENCH_RP_ADDR"), os.Getenv("TOKENDESK_BENCH_RP_TARGET"))
		return true
	}
	return false
}

const benchBig = 200 << 20

// serveUpstream is the service: a small JSON answer, a 200 MB download at
// /big, and any body read and counted.
func serveUpstream(addr string) {
	small := []byte(`{"id":"file-1","name":"report.pdf","size":52113,"modified":"2026-11-22T09:00:00Z","owner":{"id":"u1","name":"Ada"}}`)
	chunk := make([]byte, 64<<10)
	http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/v1/big":
			w.Header().Set("Content-Length", strconv.Itoa(benchBig))
			for left := benchBig; left > 0; left -= len(chunk) {
				w.Write(chunk[:min(left, len(chunk))])
			}
		case r.Method == http.MethodGet:
			w.Header().Set("Content-Type", "application/json")
			w.Write(small)
		default:
			n, _ := io.Copy(io.Discard, r.Body)
			fmt.Fprintf(w, `{"got":%d}`, n)
		}
	}))
}

// serveBareProxy is the baseline: the plainest ReverseProxy that does
// the same job (strip the app's key, add the service's credential).
func serveBareProxy(addr, target string) {
	u, _ := url.Parse(target)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	rp := &httputil.ReverseProxy{Transport: tr, FlushInterval: -1, Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(u)
		pr.Out.Header.Set("Authorization", "Bearer bench-access-token")
	}}
	http.ListenAndServe(addr, rp)
}

// BenchmarkProxyAgainstBare: tokendesk's proxy against a bare
// httputil.ReverseProxy in front of the same upstream, all separate
// processes, wrk at 8 and 64 connections interleaved in the same run.
// Goal: at least 0.8× the bare proxy's requests/s, a p99 within 1.3×. Then
// a 200 MB download and a 200 MB upload through tokendesk grow its RSS by
// at most 20 MB (checked: the benchmark fails past it).
func BenchmarkProxyAgainstBare(b *testing.B) {
	if _, err := exec.LookPath("wrk"); err != nil {
		b.Skip("wrk is not installed (apt-get install wrk)")
	}
	ctx := context.Background()
	dir := b.TempDir()
	key64, box := newMasterKey(b)
	st := openDataDir(b, dir, box)

	upAddr := freeAddr(b)
	startSelf(b, "TOKENDESK_BENCH_UPSTREAM_ADDR="+upAddr)
	waitListening(b, upAddr)
	if _, err := st.CreateToken(ctx, token.Change{Provider: "oauth2", Name: "Files", Encrypted: true, Rate: token.Disabled,
		Set: map[string]string{"grant_type": "client_credentials", "client_id": "c", "client_secret": "s", "token_url": "https://auth.example/token",
			"client_auth": "client_secret_basic", "access_token": "bench-access-token", "api_base_url": "http://" + upAddr + "/v1"},
		Grant: &provider.Grant{AccessToken: "bench-access-token", ExpiresAt: time.Now().Add(24 * time.Hour)}}, "bench"); err != nil {
		b.Fatal(err)
	}
	_, key, err := st.CreateClient(ctx, 0, "Bench client", "bench")
	if err != nil {
		b.Fatal(err)
	}
	td := startProcess(b, map[string]string{"TOKENDESK_DATA_DIR": dir, "TOKENDESK_MASTER_KEY": key64,
		"TOKENDESK_API_RATE_LIMIT": "1000000", "TOKENDESK_ALLOW_PRIVATE_TARGETS": "true"})
	rpAddr := freeAddr(b)
	bare := startSelf(b, "TOKENDESK_BENCH_RP_ADDR="+rpAddr, "TOKENDESK_BENCH_RP_TARGET=http://"+upAddr+"/v1")
	waitListening(b, rpAddr)

	tdURL := td.base + "/api/v1/proxy/Files"
	check := func(url string) {
		req, _ := http.NewRequest(http.MethodGet, url+"/files/1", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "report.pdf") {
			b.Fatalf("%s: %d %s", url, resp.StatusCode, body)
		}
	}
	check(tdURL)
	check("http://" + rpAddr)

	script := filepath.Join(dir, "proxy.lua")
	os.WriteFile(script, []byte(fmt.Sprintf(`request = function()
  return wrk.format("GET", wrk.path, {["Authorization"] = "Bearer %s"})
end
`, key)), 0o600)
	for range b.N {
		for _, conns := range []int{8, 64} {
			c := sideBySide(b, script, conns, wrkTarget{"http://" + rpAddr + "/files/1", bare.Process.Pid}, wrkTarget{tdURL + "/files/1", td.cmd.Process.Pid})
			a, z, rps, p99 := c.subject, c.baseline, c.rps, c.p99
			b.Logf("%2d connections: tokendesk %6.0f req/s p50 %v p99 %v | bare ReverseProxy %6.0f req/s p50 %v p99 %v | ratio %.2f× (rounds %s), p99 %.2f×",
				conns, a.rps, a.p50, a.p99, z.rps, z.p50, z.p99, rps, c.rounds, p99)
			b.ReportMetric(rps, fmt.Sprintf("rps-ratio-c%d", conns))
			b.ReportMetric(p99, fmt.Sprintf("p99-ratio-c%d", conns))
			if rps < 0.8 || p99 > 1.3 {
				b.Errorf("%d connections over the goal (at least 0.8× the requests/s, p99 within 1.3×): %.2f×, p99 %.2f×", conns, rps, p99)
			}
		}
	}

	// 200 MB each way: tokendesk streams, its RSS hardly moves.
	before := rssOf(b, td.cmd.Process.Pid)
	req, _ := http.NewRequest(http.MethodGet, tdURL+"/big", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || n != benchBig {
		b.Fatalf("download: %d, %d bytes", resp.StatusCode, n)
	}
	req, _ = http.NewRequest(http.MethodPut, tdURL+"/upload", io.LimitReader(zeros{}, benchBig))
	req.ContentLength = benchBig
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != fmt.Sprintf(`{"got":%d}`, benchBig) {
		b.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	after := rssOf(b, td.cmd.Process.Pid)
	grew := after - before
	b.Logf("200 MB down and 200 MB up: tokendesk's RSS %d MB → %d MB (%+d MB)", before>>20, after>>20, grew>>20)
	b.ReportMetric(float64(grew)/(1<<20), "rss-growth-MB")
	if grew > 20<<20 {
		b.Fatalf("tokendesk's RSS grew %d MB moving 200 MB each way; the goal is at most 20 MB", grew>>20)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// startSelf runs this test binary again with env (a role of
// proxyBenchRole), stopped when the benchmark ends.
func startSelf(b *testing.B, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// rssOf is process pid's resident set size (Linux).
func rssOf(b *testing.B, pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
