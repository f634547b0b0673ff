package bolt

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/wharfhq/wharf/store"
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

func BenchmarkUpdateParallel(b *testing.B) {
	d := benchDB(b)
	ctx := context.Background()
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := fmt.Sprintf("bench/%d", n.Add(1)%1000)
			if _, err := d.Update(ctx, func(tx store.Tx) error { return tx.Put(key, benchValue) }); err != nil {
				b.Error(err)
				return
			}
		}
	})
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
