package taskset

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

// TestScaleOutBounded scales a task set from 0 to 200 tasks (FARGATE on
// one agent node, no Docker) with the store bounded at etcd's 128 keys
// per transaction: passes of at most maxTaskChanges starts reach 200.
func TestScaleOutBounded(t *testing.T) {
	db := testdb.Bolt(t, bolt.Options{MaxTxnOps: 128})
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := &Controller{db: db, log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: func() time.Time { return now }, resync: time.Second}
	ctx := context.Background()
	sc := model.Scope{Account: "000000000000", Region: "us-east-1"}
	const cluster, setID = "c", "ecs-svc/1"
	svcKey := state.ServiceKey(sc, cluster, "web")
	if _, err := db.Update(ctx, func(tx store.Tx) error {
		return putExternalService(tx, sc, cluster, setID, 200, 100, now)
	}); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		var n int
		if err := db.View(ctx, func(tx store.ReadTx) error {
			tasks, err := state.GroupTasks(tx, sc, cluster, "service:web")
			n = len(tasks)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	passes := 0
	for ; passes < 50 && count() < 200; passes++ {
		if err := c.reconcile(ctx, svcKey); err != nil {
			t.Fatalf("pass %d: %v", passes+1, err)
		}
	}
	if n := count(); n != 200 || passes < 200/maxTaskChanges {
		t.Fatalf("%d tasks after %d passes, want 200 in at least %d", n, passes, 200/maxTaskChanges)
	}
}
