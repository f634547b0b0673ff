package state

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wharfhq/wharf/store"
)

// TestReapInactiveClustersBounded forgets 120 expired clusters on a store
// bounded at 128 keys per transaction: ReapClustersBatch a call.
func TestReapInactiveClustersBounded(t *testing.T) {
	ctx := context.Background()
	db := openBoundDB(t)
	deleted := testNow.Add(-2 * time.Hour)
	const n = 120
	for start := 0; start < n; start += 40 {
		if _, err := db.Update(ctx, func(tx store.Tx) error {
			for i := start; i < start+40; i++ {
				name := fmt.Sprintf("c%03d", i)
				if err := store.Put(tx, ClusterKey(testScope, name), map[string]string{"clusterName": name, "status": "INACTIVE"}); err != nil {
					return err
				}
				if err := tx.Put(InactiveClusterKey(testScope.ClusterARN(name)), []byte(deleted.Format(time.RFC3339Nano))); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	db.reset()
	var got []int
	for range 4 {
		var reaped int
		if _, err := db.Update(ctx, func(tx store.Tx) (err error) {
			reaped, err = ReapInactiveClusters(tx, testNow, time.Hour)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		got = append(got, reaped)
	}
	if fmt.Sprint(got) != fmt.Sprint([]int{ReapClustersBatch, ReapClustersBatch, n - 2*ReapClustersBatch, 0}) {
		t.Fatalf("reaped %v per call", got)
	}
	if most, _ := db.maxWritten(); most > etcdBound {
		t.Fatalf("a call wrote %d keys", most)
	}
}
