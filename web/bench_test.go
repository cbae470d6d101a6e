package web

import (
	"context"
	"fmt"
	"github.com/tokendesk/tokendesk/internal/token"
	"net/http"
	"strings"
	"testing"

	"github.com/tokendesk/tokendesk/internal/store"
)

// seedTokens stores n Redox tokens directly (the form path is tested elsewhere).
func seedTokens(tb testing.TB, st *store.Store, n int) {
	tb.Helper()
	for i := range n {
		_, err := st.CreateToken(context.Background(), token.Change{
			Provider: "redox", Name: fmt.Sprintf("Token %05d", i), Description: "Seeded for the list benchmark",
			Encrypted: true, Rate: "1h",
			Set: map[string]string{"environment": "development", "api_key": fmt.Sprintf("key-%d", i), "secret": "s"},
		}, "bench@example.com")
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkTokenList10k renders one page of the Access Tokens list with
// 10,000 global tokens stored, through the real router and middleware.
func BenchmarkTokenList10k(b *testing.B) {
	ts := newTestServer(b)
	seedTokens(b, ts.store, 10_000)
	ts.signInAdmin()
	for _, path := range []string{"/tokens", "/tokens?page=50", "/tokens?q=token%2009"} {
		b.Run(strings.TrimPrefix(path, "/tokens"), func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, ts.http.URL+path, nil)
				resp, err := ts.client.Do(req)
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("%v %v", resp, err)
				}
				resp.Body.Close()
			}
		})
	}
}
