package etcd_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/etcd"
	"github.com/wharfhq/wharf/store/etcd/etcdtest"
	"github.com/wharfhq/wharf/store/storetest"
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
				storetest.BenchUpdates(b, db, writers, func(tx store.Tx, i int64) error {
					key := fmt.Sprintf("bench/%d", i%1000)
					if kind == "get+put" {
						if _, _, err := tx.Get(key); err != nil {
							return err
						}
					}
					return tx.Put(key, benchValue)
				})
			})
		}
	}
}
