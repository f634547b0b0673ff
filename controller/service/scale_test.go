package service

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

// etcdBound is etcd's default --max-txn-ops, the bound production runs
// the store with.
const etcdBound = 128

// keyCounter records the most distinct keys one Update wrote.
type keyCounter struct {
	store.Backend
	mu      sync.Mutex
	most    int
	updates int
}

type countingTx struct {
	store.Tx
	keys map[string]bool
}

func (c *countingTx) Put(k string, v []byte) error { c.keys[k] = true; return c.Tx.Put(k, v) }
func (c *countingTx) Delete(k string) error        { c.keys[k] = true; return c.Tx.Delete(k) }

func (k *keyCounter) Update(ctx context.Context, fn func(store.Tx) error) (int64, error) {
	return k.Backend.Update(ctx, func(tx store.Tx) error {
		ct := &countingTx{Tx: tx, keys: map[string]bool{}}
		err := fn(ct)
		k.mu.Lock()
		k.most, k.updates = max(k.most, len(ct.keys)), k.updates+1
		k.mu.Unlock()
		return err
	})
}

// TestScaleOutBounded scales a service from 0 to 200 tasks on simulated
// container instances (no agents, no Docker) with the store bounded at
// 128 keys per transaction: each pass starts at most maxTaskChanges
// tasks, so every commit fits, and passes reach 200.
func TestScaleOutBounded(t *testing.T) {
	ctx := context.Background()
	bolted := testdb.Bolt(t, bolt.Options{MaxTxnOps: etcdBound})
	db := &keyCounter{Backend: bolted}
	c, sc := storeCluster(t, db, 50, 0)
	key := addService(t, db, sc, "web", 200)
	tasks := func() int {
		var n int
		if err := db.View(ctx, func(tx store.ReadTx) error {
			mine, err := state.GroupTasks(tx, sc, benchCluster, "service:web")
			n = len(mine)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	passes := 0
	for ; passes < 50 && tasks() < 200; passes++ {
		if err := c.reconcile(ctx, key); err != nil {
			t.Fatalf("pass %d: %v", passes+1, err)
		}
	}
	n := tasks()
	t.Logf("%d tasks in %d passes; at most %d keys written in one transaction", n, passes, db.most)
	checks := []struct {
		name string
		ok   bool
	}{
		{"reaches 200 tasks", n == 200},
		{"in passes of at most maxTaskChanges", passes >= 200/maxTaskChanges},
		{"each commit within the bound", db.most <= etcdBound},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !c.ok {
				t.Errorf("%d tasks after %d passes, at most %d keys in one transaction", n, passes, db.most)
			}
		})
	}

	// Scale in to 0: the stops go in passes too.
	if _, err := db.Update(ctx, func(tx store.Tx) error {
		rec, _, err := store.Get[model.ServiceRecord](tx, key)
		if err != nil {
			return err
		}
		rec.Service.DesiredCount = 0
		return store.Put(tx, key, rec)
	}); err != nil {
		t.Fatal(err)
	}
	db.most = 0
	live := func() int {
		n := 0
		if err := db.View(ctx, func(tx store.ReadTx) error {
			mine, err := state.GroupTasks(tx, sc, benchCluster, "service:web")
			for _, r := range mine {
				if shape.Deref(r.Task.DesiredStatus) == state.DesiredRunning {
					n++
				}
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	passes = 0
	for ; passes < 50 && live() > 0; passes++ {
		if err := c.reconcile(ctx, key); err != nil {
			t.Fatalf("scale-in pass %d: %v", passes+1, err)
		}
	}
	t.Logf("scale-in: %d passes; at most %d keys written in one transaction", passes, db.most)
	if n := live(); n != 0 || db.most > etcdBound {
		t.Errorf("scale-in: %d tasks still desired RUNNING after %d passes, at most %d keys in one transaction", n, passes, db.most)
	}
}

func TestCapPlan(t *testing.T) {
	stops := func(n int) []Stop {
		out := make([]Stop, n)
		for i := range out {
			out[i] = Stop{ARN: string(rune('a' + i))}
		}
		return out
	}
	tests := []struct {
		name       string
		in         Plan
		stops      int
		launch     int
		keepsFinal bool // Completed, Retire and Steady kept
	}{
		{"within the cap: unchanged", Plan{Launch: 5, Stops: stops(3), Completed: "d1", Retire: []string{"d0"}}, 3, 5, true},
		{"exactly the cap", Plan{Launch: 10, Stops: stops(10)}, 10, 10, true},
		{"a scale-out of 200: 20 starts", Plan{Launch: 200}, 0, 20, false},
		{"stops first, launches fill the rest", Plan{Launch: 10, Stops: stops(15), Completed: "d1"}, 15, 5, false},
		{"stops over the cap: no launch", Plan{Launch: 3, Stops: stops(25), Retire: []string{"d0"}}, 20, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := capPlan(tt.in, 20)
			if len(got.Stops) != tt.stops || got.Launch != tt.launch {
				t.Fatalf("%d stops, %d launches; want %d, %d", len(got.Stops), got.Launch, tt.stops, tt.launch)
			}
			kept := got.Completed == tt.in.Completed && len(got.Retire) == len(tt.in.Retire) && got.Steady == tt.in.Steady
			if !tt.keepsFinal && (got.Completed != "" || got.Retire != nil || got.Steady) {
				t.Fatalf("a cut plan completes or retires: %+v", got)
			}
			if tt.keepsFinal && !kept {
				t.Fatalf("an uncut plan changed: %+v", got)
			}
		})
	}
}

// hookDB runs before ahead of the first Update: a writer slipping in
// between a pass's rehearsal and its commit.
type hookDB struct {
	store.Backend
	before  func()
	updates int
}

func (h *hookDB) Update(ctx context.Context, fn func(store.Tx) error) (int64, error) {
	if b := h.before; b != nil {
		h.before = nil
		b()
	}
	h.updates++
	return h.Backend.Update(ctx, fn)
}

// TestReconcileReplansOnConflict changes the only container instance
// between a pass's rehearsal and its commit: the commit finds the
// placement stale (store.ErrConflict), the pass is rehearsed again, and
// the tasks are started once.
func TestReconcileReplansOnConflict(t *testing.T) {
	ctx := context.Background()
	db, _, sc := reconcileCluster(t, 1, 0)
	key := addService(t, db, sc, "web", 3)
	instKey := state.InstanceKey(sc, benchCluster, fmt.Sprintf("%032x", 0))
	h := &hookDB{Backend: db, before: func() {
		if _, err := db.Update(ctx, func(tx store.Tx) error {
			rec, _, err := store.Get[state.InstanceRecord](tx, instKey)
			if err != nil {
				return err
			}
			rec.Instance.Version++
			return store.Put(tx, instKey, rec)
		}); err != nil {
			t.Error(err)
		}
	}}
	c := New(h, slog.New(slog.DiscardHandler), 0)
	if err := c.reconcile(ctx, key); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.View(ctx, func(tx store.ReadTx) error {
		mine, err := state.GroupTasks(tx, sc, benchCluster, "service:web")
		n = len(mine)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n != 3 || h.updates != 2 {
		t.Fatalf("%d tasks after %d write transactions; want 3 after 2 (a conflict, then the commit)", n, h.updates)
	}
}
