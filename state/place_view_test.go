package state

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/scheduler"
	"github.com/wharfhq/wharf/store"
)

// fakeScan is a Scanner over records in key order.
type fakeScan []store.KV

func (f fakeScan) Scan(prefix string, fn func(k, v []byte, createRev, modRev int64) error) error {
	for _, kv := range f {
		if strings.HasPrefix(kv.Key, prefix) {
			if err := fn([]byte(kv.Key), kv.Value, kv.CreateRev, kv.ModRev); err != nil {
				return err
			}
		}
	}
	return nil
}

func (fakeScan) Origin() uint64 { return 1 }

func TestRescan(t *testing.T) {
	rec := func(key string, c, m int64) store.KV {
		return store.KV{Key: key, Value: []byte(key), CreateRev: c, ModRev: m}
	}
	old := []usageEntry{{key: "p/a", createRev: 1, modRev: 1}, {key: "p/b", createRev: 2, modRev: 5}, {key: "p/c", createRev: 3, modRev: 3}}
	tests := []struct {
		name        string
		old         []usageEntry
		scan        fakeScan
		wantChanged bool
		wantKeys    []string
		wantDecoded []string // the records decoded again
	}{
		{name: "unchanged", old: old, scan: fakeScan{rec("p/a", 1, 1), rec("p/b", 2, 5), rec("p/c", 3, 3), rec("q/x", 9, 9)},
			wantKeys: []string{"p/a", "p/b", "p/c"}},
		{name: "one modified", old: old, scan: fakeScan{rec("p/a", 1, 1), rec("p/b", 2, 7), rec("p/c", 3, 3)},
			wantChanged: true, wantKeys: []string{"p/a", "p/b", "p/c"}, wantDecoded: []string{"p/b"}},
		{name: "deleted and created again at the same key", old: old, scan: fakeScan{rec("p/a", 8, 8), rec("p/b", 2, 5), rec("p/c", 3, 3)},
			wantChanged: true, wantKeys: []string{"p/a", "p/b", "p/c"}, wantDecoded: []string{"p/a"}},
		{name: "inserted in the middle", old: old, scan: fakeScan{rec("p/a", 1, 1), rec("p/ab", 9, 9), rec("p/b", 2, 5), rec("p/c", 3, 3)},
			wantChanged: true, wantKeys: []string{"p/a", "p/ab", "p/b", "p/c"}, wantDecoded: []string{"p/ab"}},
		{name: "deleted in the middle", old: old, scan: fakeScan{rec("p/a", 1, 1), rec("p/c", 3, 3)},
			wantChanged: true, wantKeys: []string{"p/a", "p/c"}},
		{name: "deleted at the end", old: old, scan: fakeScan{rec("p/a", 1, 1), rec("p/b", 2, 5)},
			wantChanged: true, wantKeys: []string{"p/a", "p/b"}},
		{name: "all deleted", old: old, scan: fakeScan{},
			wantChanged: true, wantKeys: []string{}},
		{name: "first view", scan: fakeScan{rec("p/a", 1, 1), rec("p/b", 2, 5)},
			wantChanged: true, wantKeys: []string{"p/a", "p/b"}, wantDecoded: []string{"p/a", "p/b"}},
		{name: "nothing, ever", scan: fakeScan{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var decoded []string
			decode := func(key string, value []byte, c, m int64) (usageEntry, error) {
				decoded = append(decoded, key)
				return usageEntry{key: key, createRev: c, modRev: m}, nil
			}
			got, changed, err := rescan(tc.scan, "p/", tc.old, decode)
			if err != nil {
				t.Fatal(err)
			}
			keys := []string{}
			for _, e := range got {
				keys = append(keys, e.key)
			}
			if tc.wantKeys == nil {
				tc.wantKeys = []string{}
			}
			if changed != tc.wantChanged || !slices.Equal(keys, tc.wantKeys) || !slices.Equal(decoded, tc.wantDecoded) {
				t.Errorf("rescan = %v, changed %v, decoded %v; want %v, %v, %v", keys, changed, decoded, tc.wantKeys, tc.wantChanged, tc.wantDecoded)
			}
			if !changed && len(tc.old) > 0 && &got[0] != &tc.old[0] {
				t.Errorf("an unchanged range was copied")
			}
		})
	}
}

// listOnly hides a snapshot's Scanner: placement then reads the records
// themselves, the reference its view must agree with.
type listOnly struct{ store.ReadTx }

// sameInput reports how two placement inputs differ ("" when they do not).
func sameInput(got, want placeInput) string {
	if !reflect.DeepEqual(got.insts, want.insts) && !(len(got.insts) == 0 && len(want.insts) == 0) {
		return fmt.Sprintf("instances\n got %+v\nwant %+v", got.insts, want.insts)
	}
	if len(got.used) != len(want.used) {
		return fmt.Sprintf("%d usages, want %d", len(got.used), len(want.used))
	}
	for i := range got.used {
		if !reflect.DeepEqual(*got.used[i], *want.used[i]) {
			return fmt.Sprintf("usage of %s: got %+v, want %+v", got.insts[i].ID, *got.used[i], *want.used[i])
		}
	}
	if !slices.Equal(got.srcs, want.srcs) || !slices.Equal(got.usageRevs, want.usageRevs) {
		return fmt.Sprintf("sources %v %v, want %v %v", got.srcs, got.usageRevs, want.srcs, want.usageRevs)
	}
	return ""
}

// TestPlaceViewFollowsChanges changes the cluster between placements in
// each way that matters to placement and checks, after each, that the
// view shows exactly what reading the records shows, and that placement
// sees the change.
func TestPlaceViewFollowsChanges(t *testing.T) {
	ctx := context.Background()
	db := placeCluster(t, 9)
	ops := &taskOps{t: t, db: db, now: testNow}
	arn := func(id string) string { return testScope.ARN("container-instance/" + testCluster + "/" + id) }
	changeInstance := func(id string, fn func(*InstanceRecord)) {
		ops.update(func(tx store.Tx) error {
			key := InstanceKey(testScope, testCluster, id)
			r, _, err := store.Get[InstanceRecord](tx, key)
			if err != nil {
				return err
			}
			fn(&r)
			return store.Put(tx, key, r)
		})
	}
	place := func(now time.Time, l *Launch, only []string) (Placement, *clusterView) {
		t.Helper()
		var p Placement
		var v *clusterView
		err := db.View(ctx, func(tx store.ReadTx) error {
			got, err := placeInputOf(tx, testScope, testCluster, now)
			if err != nil {
				return err
			}
			want, err := placeInputOf(listOnly{tx}, testScope, testCluster, now)
			if err != nil {
				return err
			}
			if d := sameInput(got, want); d != "" {
				t.Errorf("view differs from the records: %s", d)
			}
			v = views.cluster(viewKey{origin: tx.(store.Scanner).Origin(), prefix: InstancesPrefix(testScope, testCluster)})
			p, err = Place(tx, l, only, now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return p, v
	}
	launch := func(cpu, mem int32) *Launch {
		return &Launch{Scope: testScope, Cluster: testCluster, Definition: testDefinition(cpu, mem, 0), LaunchType: ecstypes.LaunchTypeEc2, Count: 1}
	}
	reasons := func(p Placement) map[string]string {
		out := map[string]string{}
		for _, f := range p.Failures {
			out[LastSegment(shape.Deref(f.Arn))] = shape.Deref(f.Reason)
		}
		for _, tg := range p.Targets {
			out[LastSegment(tg.Instance)] = "placed"
		}
		return out
	}
	_, first := place(testNow, launch(1, 1), nil)

	t.Run("nothing changed: the view is reused", func(t *testing.T) {
		if _, v := place(testNow, launch(1, 1), nil); v != first {
			t.Errorf("a new view although nothing changed")
		}
	})
	t.Run("attribute added", func(t *testing.T) {
		changeInstance("ci03", func(r *InstanceRecord) {
			r.Instance.Attributes = append(r.Instance.Attributes, ecstypes.Attribute{Name: new("stack"), Value: new("blue")})
		})
		l := launch(1, 1)
		l.Count = 3
		l.Constraints = []ecstypes.PlacementConstraint{{Type: ecstypes.PlacementConstraintTypeMemberOf, Expression: new("attribute:stack == blue")}}
		p, _ := place(testNow, l, nil)
		for _, tg := range p.Targets {
			if tg.Instance != arn("ci03") {
				t.Errorf("placed on %s, want ci03 only", tg.Instance)
			}
		}
		if len(p.Targets) != 3 {
			t.Errorf("placed %d, want 3", len(p.Targets))
		}
	})
	t.Run("instance DRAINING", func(t *testing.T) {
		changeInstance("ci00", func(r *InstanceRecord) { r.Instance.Status = new(scheduler.StatusDraining) })
		p, _ := place(testNow, launch(1, 1), []string{"ci00"})
		if got := reasons(p)["ci00"]; got != scheduler.StatusDraining {
			t.Errorf("ci00: %q, want DRAINING", got)
		}
	})
	t.Run("usage grows", func(t *testing.T) {
		p, _ := place(testNow, launch(1, 2048), []string{"ci01"})
		if got := reasons(p)["ci01"]; got != "placed" {
			t.Fatalf("ci01 before: %q, want room", got)
		}
		ops.create("family:big", arn("ci01"), "node-01", ecstypes.LaunchTypeEc2, testDefinition(1, 4096, 0))
		p, _ = place(testNow, launch(1, 2048), []string{"ci01"})
		if got := reasons(p)["ci01"]; got != scheduler.ReasonMemory {
			t.Errorf("ci01 after: %q, want %s", got, scheduler.ReasonMemory)
		}
	})
	t.Run("usage record deleted", func(t *testing.T) {
		id := ops.create("family:one", arn("ci07"), "node-07", ecstypes.LaunchTypeEc2, testDefinition(1, 1, 0))
		var ids []string
		if err := db.View(ctx, func(tx store.ReadTx) error {
			kvs, err := tx.List(InstanceTasksPrefix(testScope, testCluster)+"ci07/", "", 0)
			for _, kv := range kvs {
				ids = append(ids, LastSegment(kv.Key))
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(ids, id) {
			t.Fatalf("task %s not indexed on ci07: %v", id, ids)
		}
		for _, id := range ids {
			ops.stop(id)
		}
		place(testNow, launch(1, 1), nil) // compares the view with the records
	})
	t.Run("agent heartbeat stale", func(t *testing.T) {
		ops.update(func(tx store.Tx) error {
			return store.Put(tx, NodeKey("node-02"), NodeRecord{NodeID: "node-02", LastSeen: testNow.Add(-time.Hour)})
		})
		p, _ := place(testNow, launch(1, 1), []string{"ci02"})
		if got := reasons(p)["ci02"]; got != scheduler.ReasonAgent {
			t.Errorf("ci02: %q, want AGENT", got)
		}
	})
	t.Run("time passes the heartbeats", func(t *testing.T) {
		later := testNow.Add(HeartbeatTimeout + time.Second)
		p, _ := place(later, launch(1, 1), []string{"ci03"})
		if got := reasons(p)["ci03"]; got != scheduler.ReasonAgent {
			t.Errorf("ci03 at now+%s: %q, want AGENT", HeartbeatTimeout, got)
		}
		p, _ = place(testNow, launch(1, 1), []string{"ci03"})
		if got := reasons(p)["ci03"]; got != "placed" {
			t.Errorf("ci03 at now again: %q, want placed", got)
		}
	})
	t.Run("instance INACTIVE, another registered", func(t *testing.T) {
		changeInstance("ci06", func(r *InstanceRecord) { r.Instance.Status = new(scheduler.StatusInactive) })
		ops.update(func(tx store.Tx) error {
			r, _, err := store.Get[InstanceRecord](tx, InstanceKey(testScope, testCluster, "ci08"))
			if err != nil {
				return err
			}
			r.Instance.ContainerInstanceArn = new(arn("ci09"))
			return store.Put(tx, InstanceKey(testScope, testCluster, "ci09"), r)
		})
		p, _ := place(testNow, launch(1, 1), []string{"ci06", "ci09"})
		if got := reasons(p); got["ci06"] != scheduler.ReasonMissing || got["ci09"] != "placed" {
			t.Errorf("reasons %v, want ci06 MISSING, ci09 placed", got)
		}
	})
	t.Run("instance record deleted", func(t *testing.T) {
		ops.update(func(tx store.Tx) error { return tx.Delete(InstanceKey(testScope, testCluster, "ci09")) })
		p, _ := place(testNow, launch(1, 1), []string{"ci09"})
		if got := reasons(p)["ci09"]; got != scheduler.ReasonMissing {
			t.Errorf("ci09: %q, want MISSING", got)
		}
	})
}

// TestPlaceViewConcurrent places and commits from several goroutines while
// another flips instances between ACTIVE and DRAINING: no commit may put a
// task on an instance that is DRAINING when it commits, or beyond its
// memory. Run with -race.
func TestPlaceViewConcurrent(t *testing.T) {
	ctx := context.Background()
	db := placeCluster(t, 6)
	td := testDefinition(1, 256, 0)
	stop := make(chan struct{})
	var flipper sync.WaitGroup
	flipper.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			id := fmt.Sprintf("ci%02d", i%6)
			_, err := db.Update(ctx, func(tx store.Tx) error {
				key := InstanceKey(testScope, testCluster, id)
				r, _, err := store.Get[InstanceRecord](tx, key)
				if err != nil {
					return err
				}
				status := scheduler.StatusActive
				if shape.Deref(r.Instance.Status) == status {
					status = scheduler.StatusDraining
				}
				r.Instance.Status = new(status)
				return store.Put(tx, key, r)
			})
			if err != nil {
				t.Error(err)
				return
			}
		}
	})
	var clients sync.WaitGroup
	for range 4 {
		clients.Go(func() {
			for range 15 {
				l := &Launch{Scope: testScope, Cluster: testCluster, Definition: td, LaunchType: ecstypes.LaunchTypeEc2, Count: 2}
				_, _, err := store.Optimistic(ctx, db, func(tx store.ReadTx) (Placement, error) {
					return Place(tx, l, nil, testNow)
				}, func(tx store.Tx, p Placement) error {
					if err := CheckReads(tx, p.Reads); err != nil {
						return err
					}
					for _, tg := range p.Targets {
						r, _, err := store.Get[InstanceRecord](tx, InstanceKey(testScope, testCluster, LastSegment(tg.Instance)))
						if err != nil {
							return err
						}
						if s := shape.Deref(r.Instance.Status); s != scheduler.StatusActive {
							t.Errorf("placed on %s while %s", tg.Instance, s)
						}
						if _, err := CreateTask(tx, l, tg, testNow); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	clients.Wait()
	close(stop)
	flipper.Wait()
	err := db.View(ctx, func(tx store.ReadTx) error {
		in, err := placeInputOf(tx, testScope, testCluster, testNow)
		if err != nil {
			return err
		}
		for i, inst := range in.insts {
			if u := in.used[i]; u.Reserved.Memory > inst.Registered.Memory {
				t.Errorf("%s: %d MiB reserved of %d", inst.ID, u.Reserved.Memory, inst.Registered.Memory)
			}
		}
		want, err := placeInputOf(listOnly{tx}, testScope, testCluster, testNow)
		if err != nil {
			return err
		}
		if d := sameInput(in, want); d != "" {
			t.Errorf("view differs from the records: %s", d)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestViewRegistryBounded(t *testing.T) {
	r := &viewRegistry{clusters: map[viewKey]*viewSlot{}, nodes: map[uint64]*nodesSlot{}}
	view := func(rev int64, n int) *clusterView {
		return &clusterView{built: true, rev: rev, insts: make([]instEntry, n)}
	}
	key := func(i int) viewKey { return viewKey{origin: 1, prefix: fmt.Sprintf("c%d/", i)} }
	r.putCluster(key(0), view(1, 1000))
	for i := 1; i < 3*maxViews; i++ {
		r.cluster(key(0)) // kept in use
		r.putCluster(key(i), view(1, 1000))
		if len(r.clusters) > maxViews || r.instances > maxViewInstances {
			t.Fatalf("after %d views: %d kept, %d instances", i+1, len(r.clusters), r.instances)
		}
	}
	if r.cluster(key(0)) == nil {
		t.Errorf("the view in use was evicted")
	}
	r.putCluster(key(0), view(0, 1))
	if v := r.cluster(key(0)); v == nil || v.rev != 1 {
		t.Errorf("an older snapshot's view replaced a newer one")
	}
	r.putCluster(key(-1), view(2, maxViewInstances+1))
	if r.cluster(key(-1)) != nil {
		t.Errorf("a view larger than the bound was kept")
	}
	for o := range uint64(2 * maxViewStores) {
		r.putNodes(o+1, 1, &nodesView{})
	}
	if len(r.nodes) > maxViewStores {
		t.Errorf("%d heartbeat views kept, at most %d", len(r.nodes), maxViewStores)
	}
}
