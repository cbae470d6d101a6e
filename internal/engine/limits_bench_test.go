package engine

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tokendesk/tokendesk/internal/store"
)

// BenchmarkAPIStateParallel is what a served fetch costs the runtime
// API's memory (its client's limiter, the read audit), from every core at
// once, as make bench-api asks: 100 client keys, 1,000 (key, token) pairs
// of 10,000 tokens. What fetches on different cores share shows here.
func BenchmarkAPIStateParallel(b *testing.B) {
	a := newAPIState(1e9)
	type pair struct {
		cl      store.Client
		tokenID int64
	}
	pairs := make([]pair, 1000)
	for i := range pairs {
		id := int64(rand.IntN(100) + 1)
		pairs[i] = pair{store.Client{ID: id, AppID: id}, int64(rand.IntN(10_000) + 1)}
	}
	now := time.Unix(1_800_000_000, 0)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(rand.Uint64(), 0))
		for pb.Next() {
			p := pairs[r.IntN(len(pairs))]
			if res := a.limiter(p.cl.ID).ReserveN(now, 1); res.DelayFrom(now) > 0 {
				b.Error("limited")
				return
			}
			a.record(&p.cl, p.tokenID, store.ReadOK, now)
		}
	})
}
