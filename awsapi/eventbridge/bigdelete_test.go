package eventbridge

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/wharfhq/wharf/api/eventbridgetypes"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

// openBounded opens a store that fails a transaction writing more than
// 128 keys, etcd's default bound, which production runs with.
func openBounded(t *testing.T) store.Backend {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "wharf.db"), bolt.Options{MaxTxnOps: 128})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// putRules puts n rules on bus matching source app, each with targets log
// targets.
func putRules(t *testing.T, a *API, bus string, n, targets int) {
	t.Helper()
	for i := range n {
		name := fmt.Sprintf("r%03d", i)
		if _, err := a.PutRule(testCtx, &eventbridgetypes.PutRuleRequest{Name: new(name), EventBusName: new(bus), EventPattern: new(`{"source":["app"]}`)}); err != nil {
			t.Fatal(err)
		}
		var ts []eventbridgetypes.Target
		for j := range targets {
			ts = append(ts, eventbridgetypes.Target{Id: new(fmt.Sprintf("t%d", j)), Arn: new("arn:aws:logs:us-east-1:000000000000:log-group:g")})
		}
		if targets > 0 {
			if _, err := a.PutTargets(testCtx, &eventbridgetypes.PutTargetsRequest{Rule: new(name), EventBusName: new(bus), Targets: ts}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestDeleteEventBusManyRules deletes a bus with more rules than one
// transaction of a bounded store may delete; a bus created again under
// the name has none.
func TestDeleteEventBusManyRules(t *testing.T) {
	db := openBounded(t)
	a := New(db, nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := a.CreateEventBus(testCtx, &eventbridgetypes.CreateEventBusRequest{Name: new("orders")}); err != nil {
		t.Fatal(err)
	}
	putRules(t, a, "orders", 150, 0)
	if _, err := a.DeleteEventBus(testCtx, &eventbridgetypes.DeleteEventBusRequest{Name: new("orders")}); err != nil {
		t.Fatalf("DeleteEventBus: %v", err)
	}
	if _, err := a.DescribeEventBus(testCtx, &eventbridgetypes.DescribeEventBusRequest{Name: new("orders")}); err == nil {
		t.Fatal("the bus is still there")
	}
	if _, err := a.CreateEventBus(testCtx, &eventbridgetypes.CreateEventBusRequest{Name: new("orders")}); err != nil {
		t.Fatal(err)
	}
	sc := model.Scope{Account: "000000000000", Region: "us-east-1"}
	var left []ruleRecord
	if err := db.View(testCtx, func(tx store.ReadTx) (err error) {
		left, err = store.List[ruleRecord](tx, rulesPrefix(sc, "orders"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Fatalf("a bus created again has %d old rules", len(left))
	}
}

// TestEnqueueManyDeliveries puts an event that 30 rules of 5 targets
// match: its 150 deliveries are more than one transaction of a bounded
// store may write, and all are queued.
func TestEnqueueManyDeliveries(t *testing.T) {
	db := openBounded(t)
	a := New(db, nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	putRules(t, a, "default", 30, 5)
	out := putEvent(t, a, `{}`)
	if out.FailedEntryCount != 0 {
		t.Fatalf("PutEvents failed: %+v", out.Entries)
	}
	if got := len(queuedDeliveries(t, db)); got != 150 {
		t.Fatalf("%d deliveries queued, want 150", got)
	}
}
