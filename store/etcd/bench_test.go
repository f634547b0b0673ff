package etcd_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/etcd"
	"github.com/wharfhq/wharf/store/etcd/etcdtest"
)

var benchValue = []byte(`{"clusterName":"default","status":"ACTIVE","runningTasksCount":3,"pendingTasksCount":0}`)

// BenchmarkUpdateParallel runs b.N Updates from a fixed number of writers
// against a real etcd (fsync per commit, as in production) and reports
// commits/s and the p50/p99 latency one caller sees. "put" writes one key;
// "get+put" reads it first, the shape of most wharf writes (one more round
// trip inside the writer's turn). Updates are serialised in the process
// (see doc.go), so more writers add queueing, not throughput.
func BenchmarkUpdateParallel(b *testing.B) {
	srv := etcdtest.Start(b)
	var n atomic.Int64
	for _, kind := range []string{"put", "get+put"} {
		for _, writers := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/writers=%d", kind, writers), func(b *testing.B) {
				ctx := context.Background()
				db, err := etcd.Open(ctx, etcd.Options{Endpoints: []string{srv.Endpoint()}, Prefix: fmt.Sprintf("/bench/%d/", n.Add(1))})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = db.Close() })
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
							key := fmt.Sprintf("bench/%d", i%1000)
							t0 := time.Now()
							if _, err := db.Update(ctx, func(tx store.Tx) error {
								if kind == "get+put" {
									if _, _, err := tx.Get(key); err != nil {
										return err
									}
								}
								return tx.Put(key, benchValue)
							}); err != nil {
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
			})
		}
	}
}
