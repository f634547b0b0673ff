package applicationautoscaling

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

// TestPruneActivitiesMany prunes more expired activities than one
// transaction of a store bounded like etcd (128 keys) may delete, keeping
// the recent ones and an old one whose count is still to be set.
func TestPruneActivitiesMany(t *testing.T) {
	ctx := context.Background()
	db, err := bolt.Open(t.TempDir()+"/t.db", bolt.Options{MaxTxnOps: 128})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := New(db, nil)
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	a.Now = func() time.Time { return now }
	sc := model.Scope{Account: "000000000000", Region: "us-east-1"}
	old := now.Add(-activityTTL - time.Hour)
	two := int32(2)
	acts := []activityRecord{{ID: "pending", Start: old, Desired: &two}}
	for i := range 200 {
		acts = append(acts, activityRecord{ID: fmt.Sprintf("old-%03d", i), Start: old.Add(-time.Duration(i) * time.Minute), End: old, Desired: &two})
	}
	for i := range 5 {
		acts = append(acts, activityRecord{ID: fmt.Sprintf("new-%d", i), Start: now.Add(-time.Duration(i) * time.Minute)})
	}
	for i := 0; i < len(acts); i += 100 {
		_, err := db.Update(ctx, func(tx store.Tx) error {
			for _, act := range acts[i:min(len(acts), i+100)] {
				if err := store.Put(tx, activityKey(sc, "service/c/s", act.Start, act.ID), act); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := a.pruneActivities(ctx); err != nil {
		t.Fatalf("pruneActivities: %v", err)
	}
	var left []activityRecord
	err = db.View(ctx, func(tx store.ReadTx) (err error) {
		left, err = store.List[activityRecord](tx, "aas/activities/")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 6 {
		t.Fatalf("%d activities left, want 6 (5 recent, 1 pending)", len(left))
	}
	for _, act := range left {
		if act.ID != "pending" && act.Start.Before(now.Add(-time.Hour)) {
			t.Errorf("expired activity %s kept", act.ID)
		}
	}
}
