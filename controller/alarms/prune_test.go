package alarms

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/metrics"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

// TestPruneManyHistoryItems prunes 200 history items older than 30 days
// from a store that fails a transaction writing more than 128 keys
// (etcd's bound), keeping the recent items and the alarm itself.
func TestPruneManyHistoryItems(t *testing.T) {
	db := testdb.Bolt(t, bolt.Options{MaxTxnOps: 128})
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const acct, region = "000000000000", "us-east-1"
	var items []metrics.HistoryItem
	for i := range 200 {
		items = append(items, metrics.HistoryItem{AlarmName: "flappy", Type: "StateUpdate", ID: fmt.Sprintf("old%03d", i),
			Time: now.Add(-metrics.HistoryKeep - time.Duration(i+1)*time.Minute)})
	}
	for i := range 7 {
		items = append(items, metrics.HistoryItem{AlarmName: "flappy", Type: "StateUpdate", ID: fmt.Sprintf("new%d", i),
			Time: now.Add(-time.Duration(i) * time.Hour)})
	}
	for i := 0; i < len(items); i += 100 {
		_, err := db.Update(ctx, func(tx store.Tx) error {
			for _, h := range items[i:min(len(items), i+100)] {
				if err := metrics.PutHistory(tx, acct, region, h); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	al := metrics.Alarm{Account: acct, Region: region, Name: "flappy", State: metrics.StateOK}
	if _, err := db.Update(ctx, func(tx store.Tx) error { return store.Put(tx, metrics.AlarmKey(acct, region, "flappy"), al) }); err != nil {
		t.Fatal(err)
	}
	c := &Controller{DB: db, M: metrics.NewStore(), Log: slog.Default(), Now: func() time.Time { return now }}
	if err := c.prune(ctx, now); err != nil {
		t.Fatalf("prune: %v", err)
	}
	var left []metrics.HistoryItem
	var alarmKept bool
	err := db.View(ctx, func(tx store.ReadTx) (err error) {
		if _, alarmKept, err = store.Get[metrics.Alarm](tx, metrics.AlarmKey(acct, region, "flappy")); err != nil {
			return err
		}
		left, err = store.List[metrics.HistoryItem](tx, metrics.HistoryPrefix(acct, region))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 7 || !alarmKept {
		t.Fatalf("%d history items left (want the 7 recent), alarm kept %v", len(left), alarmKept)
	}
}
