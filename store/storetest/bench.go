package storetest

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharfhq/wharf/store"
)

// BenchUpdates runs b.N Updates of db from writers concurrent callers,
// each Update i running fn(tx, i), and reports commits/s and the p50/p99
// latency of one Update as its caller sees it: the figure every backend's
// write benchmark prints.
func BenchUpdates(b *testing.B, db store.Backend, writers int, fn func(tx store.Tx, i int64) error) {
	b.Helper()
	ctx := context.Background()
	var next atomic.Int64
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range writers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				t0 := time.Now()
				if _, err := db.Update(ctx, func(tx store.Tx) error { return fn(tx, i) }); err != nil {
					b.Error(err)
					return
				}
				lat[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "commits/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
