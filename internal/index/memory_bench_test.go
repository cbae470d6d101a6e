package index_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/index"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
)

// sizedSource stands in for the database with tokens shaped like real
// ones (a Redox token: API key, secret, access and refresh token), so the
// benchmark measures the index and nothing else.
type sizedSource struct{}

func (sizedSource) ClientByHash(context.Context, string) (store.Client, error) {
	return store.Client{ID: 1, Name: "Reporting job"}, nil
}

func (sizedSource) ResolveToken(_ context.Context, _ int64, name string) (token.Token, error) {
	id, _ := strconv.ParseInt(strings.TrimPrefix(name, "Token "), 10, 64)
	now := time.Now()
	return token.Token{ID: id, Provider: "redox", Name: name, Description: "Lab results feed for the clinic",
		Encrypted: true, Rate: "every_hour", Version: 3, CreatedAt: now, CreatedBy: "ada@example.com",
		UpdatedAt: now, UpdatedBy: "ada@example.com",
		Renewal: token.Renewal{ExpiresAt: now.Add(time.Hour), LastRenewedAt: now, NextRenewalAt: now.Add(55 * time.Minute)}}, nil
}

func (sizedSource) TokenValuesOf(_ context.Context, id int64, fields []string) (map[string]string, error) {
	all := map[string]string{
		"environment":   "development",
		"api_key":       fmt.Sprintf("6f0b7a61-54c2-4e63-9a8e-%012d", id),
		"secret":        fmt.Sprintf("b3c1d2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0%012d", id),
		"access_token":  fmt.Sprintf("13d5faa8-aacd-4a0d-a666-%012d", id),
		"refresh_token": fmt.Sprintf("4ed7b234-9bde-4a9c-9c86-%012d", id),
	}
	out := map[string]string{}
	for _, f := range fields {
		out[f] = all[f]
	}
	return out, nil
}

func (sizedSource) ChangesSince(context.Context, int64, int) ([]store.ChangeLogEntry, error) {
	return nil, nil
}
func (sizedSource) ChangesAmong(context.Context, []int64) ([]store.ChangeLogEntry, error) {
	return nil, nil
}
func (sizedSource) LatestChange(context.Context) (int64, error)   { return 0, nil }
func (sizedSource) PruneChanges(context.Context, time.Time) error { return nil }
func (sizedSource) Writes() uint64                                { return 0 }

// BenchmarkIndexMemory100k reports what the index holds in memory for
// 100,000 fetched tokens (each with its encoded answer kept), and 100 keys.
func BenchmarkIndexMemory100k(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		ix := index.New(sizedSource{}, nil, func(string) []string { return []string{"access_token", "source_id"} })
		for i := range 100 {
			if _, err := ix.Client(ctx, sha256.Sum256([]byte(fmt.Sprintf("tdk_key_%d", i)))); err != nil {
				b.Fatal(err)
			}
		}
		for i := range n {
			t, err := ix.Resolve(ctx, 0, fmt.Sprintf("Token %d", i+1))
			if err != nil {
				b.Fatal(err)
			}
			t.SetAnswer([]byte(fmt.Sprintf(`{"name":"Token %d","provider":"redox","scope":"global","access_token":"13d5faa8-aacd-4a0d-a666-%012d","token_type":"Bearer","expires_at":"2026-12-03T10:00:00Z"}`, i, i)), time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if s := ix.Stats(); s.Tokens != n {
			b.Fatalf("index holds %+v", s)
		}
		heap := float64(after.HeapAlloc - before.HeapAlloc)
		b.ReportMetric(heap/(1<<20), "MiB")
		b.ReportMetric(heap/n, "B/token")
		runtime.KeepAlive(ix)
	}
}
