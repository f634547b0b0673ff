package bolt

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/storetest"
)

// Benchmarks measure the durable path (fsync per Update), which is what
// wharf runs with; their cost is dominated by the disk.

var benchValue = []byte(`{"clusterName":"default","status":"ACTIVE","runningTasksCount":3,"pendingTasksCount":0}`)

func benchDB(b *testing.B) *DB {
	b.Helper()
	d, err := Open(filepath.Join(b.TempDir(), "wharf.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = d.Close() })
	return d
}

func BenchmarkUpdate(b *testing.B) {
	d := benchDB(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		key := fmt.Sprintf("bench/%d", i%1000)
		i++
		if _, err := d.Update(ctx, func(tx store.Tx) error { return tx.Put(key, benchValue) }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateParallel runs b.N single-key Updates from a fixed number of
// concurrent writers (not GOMAXPROCS: the point is how commits from many
// API requests share fsyncs) and reports commits/s, the p50/p99 latency of
// one Update as its caller sees it, and how many Updates shared an fsync.
func BenchmarkUpdateParallel(b *testing.B) {
	for _, writers := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			d := benchDB(b)
			storetest.BenchUpdates(b, d, writers, func(tx store.Tx, i int64) error {
				return tx.Put(fmt.Sprintf("bench/%d", i%1000), benchValue)
			})
			b.ReportMetric(float64(b.N)/float64(max(d.commits.Load(), 1)), "updates/fsync")
		})
	}
}

func BenchmarkViewGet(b *testing.B) {
	d := benchDB(b)
	ctx := context.Background()
	if _, err := d.Update(ctx, func(tx store.Tx) error {
		for i := range 1000 {
			if err := tx.Put(fmt.Sprintf("bench/%d", i), benchValue); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("bench/%d", i)
	}
	i := 0
	for b.Loop() {
		key := keys[i%len(keys)]
		i++
		err := d.View(ctx, func(tx store.ReadTx) error {
			_, ok, err := tx.Get(key)
			if err == nil && !ok {
				err = fmt.Errorf("%s missing", key)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
