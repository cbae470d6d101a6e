package web

import (
	"context"
	"fmt"
	"testing"

	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
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
