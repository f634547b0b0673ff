package state

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/scheduler"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

var (
	testScope = model.Scope{Account: "000000000000", Region: "us-east-1"}
	testNow   = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
)

const testCluster = "c"

func openTestDB(t testing.TB) store.Backend {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "wharf.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func testDefinition(cpu, mem int32, hostPort int32) ecstypes.TaskDefinition {
	cd := ecstypes.ContainerDefinition{Name: new("app"), Image: new("img"), Cpu: cpu, Memory: new(mem)}
	if hostPort > 0 {
		cd.PortMappings = []ecstypes.PortMapping{{ContainerPort: new(int32(80)), HostPort: new(hostPort), Protocol: ecstypes.TransportProtocolTcp}}
	}
	return ecstypes.TaskDefinition{Family: new("app"), TaskDefinitionArn: new(testScope.ARN("task-definition/app:1")),
		ContainerDefinitions: []ecstypes.ContainerDefinition{cd}}
}

// truth is every derived number recomputed by a full scan of the task
// records, as wharf did before the indexes: the reference they must match.
type truth struct {
	groups  map[string][]string // group -> task ids
	placed  map[string][]scheduler.PlacedTask
	usage   map[string]Usage // by instance ARN
	counts  TaskCounts
	stopped []string // task keys, oldest first
}

func scan(t *testing.T, tx store.ReadTx) truth {
	t.Helper()
	recs, err := store.List[model.TaskRecord](tx, TasksPrefix(testScope, testCluster))
	if err != nil {
		t.Fatal(err)
	}
	tr := truth{groups: map[string][]string{}, placed: map[string][]scheduler.PlacedTask{}, usage: map[string]Usage{},
		counts: TaskCounts{Running: map[string]int{}, Pending: map[string]int{}}}
	type stop struct {
		at  int64
		key string
	}
	var stops []stop
	for _, r := range recs {
		tk := r.Task
		id := LastSegment(shape.Deref(tk.TaskArn))
		tr.groups[shape.Deref(tk.Group)] = append(tr.groups[shape.Deref(tk.Group)], id)
		last := shape.Deref(tk.LastStatus)
		switch last {
		case model.TaskRunning:
			tr.counts.Running[string(tk.LaunchType)]++
		case model.TaskStopped, "DELETED":
		default:
			tr.counts.Pending[string(tk.LaunchType)]++
		}
		if last == model.TaskStopped && !tk.StoppedAt.IsZero() {
			stops = append(stops, stop{tk.StoppedAt.UnixNano(), TaskKey(testScope, testCluster, id)})
		}
		ci := shape.Deref(tk.ContainerInstanceArn)
		if ci == "" || last == model.TaskStopped {
			continue
		}
		p := PlacedTask(r)
		tr.placed[ci] = append(tr.placed[ci], p)
		u := tr.usage[ci]
		if last == model.TaskRunning {
			u.Running++
		} else {
			u.Pending++
		}
		u.Reserved.CPU += p.Reserved.CPU
		u.Reserved.Memory += p.Reserved.Memory
		u.Reserved.Ports = append(u.Reserved.Ports, p.Reserved.Ports...)
		tr.usage[ci] = u
	}
	slices.SortFunc(stops, func(a, b stop) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.key, b.key)) })
	for _, s := range stops {
		tr.stopped = append(tr.stopped, s.key)
	}
	return tr
}

// checkIndexes compares every index read with the full scan.
func checkIndexes(t *testing.T, db store.Backend, instances []string) {
	t.Helper()
	err := db.View(context.Background(), func(tx store.ReadTx) error {
		want := scan(t, tx)
		for group, ids := range want.groups {
			recs, err := GroupTasks(tx, testScope, testCluster, group)
			if err != nil {
				return err
			}
			var got []string
			for _, r := range recs {
				got = append(got, LastSegment(shape.Deref(r.Task.TaskArn)))
			}
			if !slices.Equal(got, ids) {
				t.Errorf("group %q: index %v, scan %v", group, got, ids)
			}
		}
		// No index entry outlives its task.
		all, err := tx.List(idxRoot(testScope)+groupTasksDir, "", 0)
		if err != nil {
			return err
		}
		if n := sumLen(want.groups); len(all) != n {
			t.Errorf("group index holds %d entries, %d tasks exist", len(all), n)
		}
		placed, err := ClusterTasksByInstance(tx, testScope, testCluster)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(placed, want.placed) {
			t.Errorf("tasks by instance:\nindex %+v\nscan  %+v", placed, want.placed)
		}
		for _, inst := range instances {
			got, err := InstanceUsage(tx, testScope, testCluster, inst)
			if err != nil {
				return err
			}
			w := want.usage[inst]
			sortPorts(got.Reserved.Ports)
			sortPorts(w.Reserved.Ports)
			if len(got.Reserved.Ports)+len(w.Reserved.Ports) == 0 {
				got.Reserved.Ports, w.Reserved.Ports = nil, nil
			}
			if !reflect.DeepEqual(got, w) {
				t.Errorf("usage of %s: index %+v, scan %+v", inst, got, w)
			}
		}
		counts, err := ClusterTaskCounts(tx, testScope, testCluster)
		if err != nil {
			return err
		}
		if !sameCounts(counts.Running, want.counts.Running) || !sameCounts(counts.Pending, want.counts.Pending) {
			t.Errorf("counts: index %+v, scan %+v", counts, want.counts)
		}
		stopped, err := StoppedBefore(tx, 1<<62, 0)
		if err != nil {
			return err
		}
		var keys []string
		for _, s := range stopped {
			keys = append(keys, s.Key)
		}
		if !slices.Equal(keys, want.stopped) {
			t.Errorf("stopped index %v, scan %v", keys, want.stopped)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func sumLen(m map[string][]string) int {
	n := 0
	for _, v := range m {
		n += len(v)
	}
	return n
}

func sameCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

func sortPorts(p []scheduler.Port) {
	slices.SortFunc(p, func(a, b scheduler.Port) int {
		return cmp.Or(cmp.Compare(a.Port, b.Port), cmp.Compare(a.Protocol, b.Protocol))
	})
}

// taskOps drives tasks through the writes wharf makes: RunTask, the
// agent's state changes, StopTask, the reaper.
type taskOps struct {
	t   *testing.T
	db  store.Backend
	now time.Time
}

func (o *taskOps) update(fn func(tx store.Tx) error) {
	o.t.Helper()
	if _, err := o.db.Update(context.Background(), fn); err != nil {
		o.t.Fatal(err)
	}
}

func (o *taskOps) create(group, instance, node string, lt ecstypes.LaunchType, td ecstypes.TaskDefinition) string {
	o.t.Helper()
	var id string
	o.update(func(tx store.Tx) error {
		l := &Launch{Scope: testScope, Cluster: testCluster, Definition: td, LaunchType: lt, Count: 1, Group: group}
		task, err := CreateTask(tx, l, Target{Node: node, Instance: instance}, o.now)
		id = LastSegment(shape.Deref(task.TaskArn))
		return err
	})
	return id
}

func (o *taskOps) change(id string, fn func(*model.TaskRecord)) {
	o.t.Helper()
	o.update(func(tx store.Tx) error {
		rec, ok, err := FindTask(tx, testScope, testCluster, id)
		if err != nil || !ok {
			return fmt.Errorf("task %s: found %v, %v", id, ok, err)
		}
		fn(&rec)
		return PutTask(tx, testScope, testCluster, &rec)
	})
}

func (o *taskOps) run(id string) {
	o.change(id, func(r *model.TaskRecord) { r.Task.LastStatus = new(model.TaskRunning) })
}

func (o *taskOps) stop(id string) {
	o.t.Helper()
	o.update(func(tx store.Tx) error {
		rec, _, err := FindTask(tx, testScope, testCluster, id)
		if err != nil {
			return err
		}
		return RequestStop(tx, testScope, testCluster, &rec, ecstypes.TaskStopCodeUserInitiated, "test", o.now)
	})
	// The agent reports the containers gone.
	o.change(id, func(r *model.TaskRecord) { MarkStopped(r, o.now) })
}

func (o *taskOps) delete(id string) {
	o.update(func(tx store.Tx) error { return DeleteTaskKey(tx, TaskKey(testScope, testCluster, id)) })
}

func TestIndexLifecycle(t *testing.T) {
	inst := testScope.ContainerInstanceARN(testCluster, "i1")
	td := testDefinition(256, 512, 8080)
	tests := []struct {
		name string
		ops  func(o *taskOps) []string
	}{
		{"created on an instance", func(o *taskOps) []string {
			return []string{o.create("service:web", inst, "n1", ecstypes.LaunchTypeEc2, td)}
		}},
		{"running", func(o *taskOps) []string {
			id := o.create("service:web", inst, "n1", ecstypes.LaunchTypeEc2, td)
			o.run(id)
			return []string{id}
		}},
		{"stopped frees its instance", func(o *taskOps) []string {
			id := o.create("service:web", inst, "n1", ecstypes.LaunchTypeEc2, td)
			o.run(id)
			o.stop(id)
			return []string{id}
		}},
		{"deleted leaves nothing", func(o *taskOps) []string {
			id := o.create("service:web", inst, "n1", ecstypes.LaunchTypeEc2, td)
			o.stop(id)
			o.delete(id)
			return nil
		}},
		{"deleted while running", func(o *taskOps) []string {
			id := o.create("family:app", inst, "n1", ecstypes.LaunchTypeEc2, td)
			o.run(id)
			o.delete(id)
			return nil
		}},
		{"fargate holds no instance", func(o *taskOps) []string {
			return []string{o.create("group/with slash", "", "n1", ecstypes.LaunchTypeFargate, td)}
		}},
		{"stopped without an agent at once", func(o *taskOps) []string {
			id := o.create("service:web", inst, "", ecstypes.LaunchTypeEc2, td)
			o.update(func(tx store.Tx) error {
				rec, _, err := FindTask(tx, testScope, testCluster, id)
				if err != nil {
					return err
				}
				return RequestStop(tx, testScope, testCluster, &rec, ecstypes.TaskStopCodeUserInitiated, "gone", o.now)
			})
			return []string{id}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTestDB(t)
			o := &taskOps{t: t, db: db, now: testNow}
			tt.ops(o)
			checkIndexes(t, db, []string{inst})
		})
	}
}

// TestIndexDeleteCleansUp checks the exact keys: a task created, run,
// stopped and deleted leaves no index entry, usage or count behind.
func TestIndexDeleteCleansUp(t *testing.T) {
	db := openTestDB(t)
	o := &taskOps{t: t, db: db, now: testNow}
	inst := testScope.ContainerInstanceARN(testCluster, "i1")
	id := o.create("service:web", inst, "n1", ecstypes.LaunchTypeEc2, testDefinition(128, 256, 80))
	o.run(id)
	o.stop(id)
	o.delete(id)
	err := db.View(context.Background(), func(tx store.ReadTx) error {
		for _, prefix := range []string{idxRoot(testScope), StoppedPrefix, "wharf/node-tasks/", TasksPrefix(testScope, testCluster)} {
			kvs, err := tx.List(prefix, "", 0)
			if err != nil {
				return err
			}
			for _, kv := range kvs {
				t.Errorf("left behind: %s", kv.Key)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestIndexProperty applies random writes and compares every index read
// with a full scan, then rebuilds the indexes from the records alone (as
// at the first open of an older store) and compares again.
func TestIndexProperty(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			db := openTestDB(t)
			o := &taskOps{t: t, db: db, now: testNow}
			instances := []string{testScope.ContainerInstanceARN(testCluster, "i1"), testScope.ContainerInstanceARN(testCluster, "i2"),
				testScope.ContainerInstanceARN(testCluster, "i3")}
			groups := []string{"service:web", "service:api", "family:app", "batch/1"}
			var live []string
			for step := range 300 {
				o.now = testNow.Add(time.Duration(step) * time.Second)
				switch k := rng.IntN(10); {
				case k < 4 || len(live) == 0:
					inst, node, lt := instances[rng.IntN(len(instances))], "n1", ecstypes.LaunchTypeEc2
					if rng.IntN(4) == 0 {
						inst, lt = "", ecstypes.LaunchTypeFargate
					}
					td := testDefinition(int32(rng.IntN(4))*128, int32(64+rng.IntN(4)*64), int32(rng.IntN(3))*8080)
					live = append(live, o.create(groups[rng.IntN(len(groups))], inst, node, lt, td))
				case k < 6:
					o.run(live[rng.IntN(len(live))])
				case k < 8:
					o.stop(live[rng.IntN(len(live))])
				default:
					i := rng.IntN(len(live))
					o.delete(live[i])
					live = slices.Delete(live, i, i+1)
				}
				if step%25 == 0 {
					checkIndexes(t, db, instances)
				}
			}
			checkIndexes(t, db, instances)
			o.update(func(tx store.Tx) error { return tx.Delete(IndexVersionKey) })
			if built, err := BuildIndexes(context.Background(), db); err != nil || !built {
				t.Fatalf("rebuild: built %v, %v", built, err)
			}
			checkIndexes(t, db, instances)
			if built, err := BuildIndexes(context.Background(), db); err != nil || built {
				t.Fatalf("second open: built %v, %v", built, err)
			}
		})
	}
}

// TestScanTasksPages checks that ScanTasks resumes after a cursor across
// chunk boundaries and stops when told.
func TestScanTasksPages(t *testing.T) {
	db := openTestDB(t)
	o := &taskOps{t: t, db: db, now: testNow}
	var ids []string
	for range store.EachChunk + 10 {
		ids = append(ids, o.create("family:app", "", "", ecstypes.LaunchTypeFargate, testDefinition(0, 64, 0)))
	}
	slices.Sort(ids)
	tests := []struct {
		name  string
		after string
		limit int
		want  []string
	}{
		{"from the start, all", "", 0, ids},
		{"after the first", ids[0], 3, ids[1:4]},
		{"across a chunk boundary", ids[store.EachChunk-2], 5, ids[store.EachChunk-1 : store.EachChunk+4]},
		{"after the last", ids[len(ids)-1], 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := db.View(context.Background(), func(tx store.ReadTx) error {
				return ScanTasks(tx, testScope, testCluster, tt.after, func(r model.TaskRecord) (bool, error) {
					got = append(got, LastSegment(shape.Deref(r.Task.TaskArn)))
					return tt.limit == 0 || len(got) < tt.limit, nil
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %d ids %v, want %d", len(got), got, len(tt.want))
			}
		})
	}
}
