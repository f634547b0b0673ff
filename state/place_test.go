package state

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/scheduler"
	"github.com/wharfhq/wharf/store"
)

// placeCluster stores n container instances across three zones (instance
// 4 DRAINING, instance 5's agent gone) and tasks of three groups on them
// in every state placement tells apart: RUNNING, PENDING, being stopped,
// STOPPED, with and without host ports.
func placeCluster(t *testing.T, n int) store.Backend {
	t.Helper()
	db := openTestDB(t)
	ctx := context.Background()
	var ids []string
	_, err := db.Update(ctx, func(tx store.Tx) error {
		for i := range n {
			id := fmt.Sprintf("ci%02d", i)
			ids = append(ids, id)
			node := fmt.Sprintf("node-%02d", i)
			status := "ACTIVE"
			if i == 4 {
				status = "DRAINING"
			}
			ci := ecstypes.ContainerInstance{ContainerInstanceArn: new(testScope.ARN("container-instance/" + testCluster + "/" + id)),
				Status: new(status), AgentConnected: true, RegisteredAt: shape.TimeOf(testNow),
				Attributes: []ecstypes.Attribute{{Name: new("ecs.availability-zone"), Value: new(fmt.Sprintf("us-east-1%c", 'a'+i%3))}},
				RegisteredResources: []ecstypes.Resource{
					{Name: new("CPU"), Type: new("INTEGER"), IntegerValue: int32(2048 + 512*(i%3))},
					{Name: new("MEMORY"), Type: new("INTEGER"), IntegerValue: int32(4096 + 1024*(i%4))},
					{Name: new("PORTS"), Type: new("STRINGSET"), StringSetValue: []string{"22"}}}}
			if err := store.Put(tx, InstanceKey(testScope, testCluster, id), InstanceRecord{Instance: ci, NodeID: node}); err != nil {
				return err
			}
			seen := testNow
			if i == 5 {
				seen = testNow.Add(-time.Hour)
			}
			if err := store.Put(tx, NodeKey(node), NodeRecord{NodeID: node, LastSeen: seen}); err != nil {
				return err
			}
		}
		groups := []string{"service:web", "family:batch", "team/a"}
		for k := range 3 * n {
			inst := k * 7 % n
			hostPort := int32(0)
			if k%4 == 0 {
				hostPort = 8080
			}
			l := &Launch{Scope: testScope, Cluster: testCluster, Definition: testDefinition(int32(128*(k%3)), int32(256+64*(k%5)), hostPort),
				LaunchType: ecstypes.LaunchTypeEc2, Count: 1, Group: groups[k%3]}
			task, err := CreateTask(tx, l, Target{Node: fmt.Sprintf("node-%02d", inst), Instance: testScope.ARN("container-instance/" + testCluster + "/" + ids[inst])}, testNow)
			if err != nil {
				return err
			}
			rec, _, err := FindTask(tx, testScope, testCluster, *task.TaskArn)
			if err != nil {
				return err
			}
			switch k % 5 {
			case 1:
				rec.Task.LastStatus = new(model.TaskRunning)
			case 2:
				rec.Task.LastStatus = new(model.TaskRunning)
				rec.Task.DesiredStatus = new(DesiredStopped)
			case 3:
				MarkStopped(&rec, testNow)
			}
			if err := PutTask(tx, testScope, testCluster, &rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// placeByTasks is placement as it was before usage records: every task
// of the cluster from the instance-tasks index. Place must agree with it.
func placeByTasks(tx store.ReadTx, l *Launch, only []string, now time.Time) (scheduler.Result, error) {
	byInstance, err := ClusterTasksByInstance(tx, l.Scope, l.Cluster)
	if err != nil {
		return scheduler.Result{}, err
	}
	recs, err := store.List[InstanceRecord](tx, InstancesPrefix(l.Scope, l.Cluster))
	if err != nil {
		return scheduler.Result{}, err
	}
	var insts []scheduler.Instance
	for _, r := range recs {
		in := scheduler.InstanceFromECS(r.Instance)
		if in.Status == "INACTIVE" {
			continue
		}
		ok, err := NodeConnected(tx, r.NodeID, now)
		if err != nil {
			return scheduler.Result{}, err
		}
		in.AgentConnected = ok
		in.Tasks = byInstance[in.ARN]
		insts = append(insts, in)
	}
	task := scheduler.Task{TaskDefinitionARN: shape.Deref(l.Definition.TaskDefinitionArn), Family: shape.Deref(l.Definition.Family), Group: l.Group,
		NetworkMode: string(l.Definition.NetworkMode), Resources: scheduler.Requirements(l.Definition, l.Overrides),
		Constraints: scheduler.ConstraintsFrom(nil, l.Constraints), Strategies: scheduler.StrategiesFrom(l.Strategies)}
	if task.Group == "" {
		task.Group = "family:" + task.Family
	}
	if only != nil {
		return scheduler.PlaceOn(task, only, insts), nil
	}
	return scheduler.Place(task, l.Count, insts, rand.New(rand.NewPCG(uint64(now.UnixNano()), 1)))
}

func TestPlaceAgreesWithTasks(t *testing.T) {
	db := placeCluster(t, 9)
	distinct := []ecstypes.PlacementConstraint{{Type: ecstypes.PlacementConstraintTypeDistinctInstance}}
	memberOf := func(e string) []ecstypes.PlacementConstraint {
		return []ecstypes.PlacementConstraint{{Type: ecstypes.PlacementConstraintTypeMemberOf, Expression: new(e)}}
	}
	strategy := func(typ ecstypes.PlacementStrategyType, field string) []ecstypes.PlacementStrategy {
		s := ecstypes.PlacementStrategy{Type: typ}
		if field != "" {
			s.Field = new(field)
		}
		return []ecstypes.PlacementStrategy{s}
	}
	tests := []struct {
		name        string
		group       string
		cpu, mem    int32
		hostPort    int32
		count       int
		constraints []ecstypes.PlacementConstraint
		strategies  []ecstypes.PlacementStrategy
		only        []string
	}{
		{name: "standalone random", cpu: 256, mem: 512, count: 10},
		{name: "until memory runs out", cpu: 1, mem: 2000, count: 10},
		{name: "host port taken on some", hostPort: 8080, mem: 64, count: 10},
		{name: "service default spread", group: "service:web", cpu: 128, mem: 128, count: 10},
		{name: "distinctInstance of a group", group: "family:batch", mem: 64, count: 5, constraints: distinct},
		{name: "distinctInstance of a group with a slash", group: "team/a", mem: 64, count: 8, constraints: distinct},
		{name: "spread by instance", group: "team/a", mem: 64, count: 10, strategies: strategy(ecstypes.PlacementStrategyTypeSpread, "instanceId")},
		{name: "spread by zone", group: "family:batch", mem: 64, count: 10, strategies: strategy(ecstypes.PlacementStrategyTypeSpread, "attribute:ecs.availability-zone")},
		{name: "binpack cpu", cpu: 300, mem: 64, count: 10, strategies: strategy(ecstypes.PlacementStrategyTypeBinpack, "cpu")},
		{name: "memberOf task:group", mem: 64, count: 6, constraints: memberOf("task:group == service:web")},
		{name: "memberOf not task:group", mem: 64, count: 6, constraints: memberOf("not(task:group =~ family:.*)")},
		{name: "memberOf runningTasksCount", mem: 64, count: 6, constraints: memberOf("runningTasksCount >= 1")},
		{name: "StartTask", cpu: 2000, mem: 64, only: []string{"ci00", "ci01", "ci04", "ci05", "nope", "ci01"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := &Launch{Scope: testScope, Cluster: testCluster, Definition: testDefinition(tc.cpu, tc.mem, tc.hostPort), LaunchType: ecstypes.LaunchTypeEc2,
				Count: max(tc.count, len(tc.only)), Group: tc.group, Constraints: tc.constraints, Strategies: tc.strategies}
			err := db.View(context.Background(), func(tx store.ReadTx) error {
				got, err := Place(tx, l, tc.only, testNow)
				if err != nil {
					return err
				}
				want, err := placeByTasks(tx, l, tc.only, testNow)
				if err != nil {
					return err
				}
				var wantFailures []ecstypes.Failure
				for _, f := range want.Failures {
					wantFailures = append(wantFailures, f.ECS())
				}
				var gotARNs, wantARNs []string
				for _, tg := range got.Targets {
					gotARNs = append(gotARNs, tg.Instance)
				}
				for _, p := range want.Placements {
					wantARNs = append(wantARNs, p.InstanceARN)
				}
				if !reflect.DeepEqual(gotARNs, wantARNs) {
					t.Errorf("targets\n got %v\nwant %v", gotARNs, wantARNs)
				}
				if !reflect.DeepEqual(got.Failures, wantFailures) {
					t.Errorf("failures\n got %v\nwant %v", got.Failures, wantFailures)
				}
				if !reflect.DeepEqual(got.Explanation, want.Explanation) {
					t.Errorf("explanation\n got %+v\nwant %+v", got.Explanation, want.Explanation)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A plan's Reads name the chosen instances' records: a task placed on one
// of them since makes the commit a conflict, a change elsewhere does not.
func TestPlaceReadsCatchConflicts(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		onChosen bool
		def      ecstypes.TaskDefinition // of both tasks
		distinct bool                    // the plan has a distinctInstance constraint
		want     error
	}{
		{name: "task placed on another instance", def: testDefinition(1, 1, 0)},
		{name: "task placed on a chosen instance that still has room", onChosen: true, def: testDefinition(1, 1, 0)},
		{name: "task placed on a chosen instance, no memory left", onChosen: true, def: testDefinition(1, 4000, 0), want: store.ErrConflict},
		{name: "task placed on a chosen instance, host port taken", onChosen: true, def: testDefinition(1, 1, 8080), want: store.ErrConflict},
		{name: "task placed on a chosen instance, distinctInstance", onChosen: true, def: testDefinition(1, 1, 0), distinct: true, want: store.ErrConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := placeCluster(t, 9)
			l := &Launch{Scope: testScope, Cluster: testCluster, Definition: tc.def, LaunchType: ecstypes.LaunchTypeEc2, Count: 1}
			if tc.distinct {
				l.Constraints = []ecstypes.PlacementConstraint{{Type: ecstypes.PlacementConstraintTypeDistinctInstance}}
			}
			var p Placement
			if err := db.View(ctx, func(tx store.ReadTx) (err error) { p, err = Place(tx, l, nil, testNow); return err }); err != nil {
				t.Fatal(err)
			}
			if len(p.Targets) != 1 || len(p.Reads) != 2 {
				t.Fatalf("targets %v, reads %v", p.Targets, p.Reads)
			}
			other := p.Targets[0]
			if !tc.onChosen {
				other.Instance = testScope.ARN("container-instance/" + testCluster + "/ci08")
				if other.Instance == p.Targets[0].Instance {
					other.Instance = testScope.ARN("container-instance/" + testCluster + "/ci07")
				}
			}
			if _, err := db.Update(ctx, func(tx store.Tx) error { _, err := CreateTask(tx, l, other, testNow); return err }); err != nil {
				t.Fatal(err)
			}
			_, err := db.Update(ctx, func(tx store.Tx) error { return CheckReads(tx, p.Reads) })
			if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
				t.Fatalf("commit: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRecordingTx(t *testing.T) {
	db := placeCluster(t, 2)
	err := db.View(context.Background(), func(tx store.ReadTx) error {
		r := Recording(tx)
		if _, _, err := r.Get(InstanceKey(testScope, testCluster, "ci00")); err != nil {
			return err
		}
		if _, _, err := r.Get("nothing/here"); err != nil {
			return err
		}
		reads := map[string]int64{}
		for _, rd := range r.Reads() {
			reads[rd.Key] = rd.ModRev
		}
		if len(reads) != 2 || reads[InstanceKey(testScope, testCluster, "ci00")] == 0 || reads["nothing/here"] != 0 {
			t.Errorf("reads = %v", reads)
		}
		return CheckReads(tx, r.Reads())
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestFitFits(t *testing.T) {
	capacity := scheduler.Resources{CPU: 1024, Memory: 2048, Ports: []scheduler.Port{{Port: 22, Protocol: "tcp"}}}
	for _, tc := range []struct {
		name string
		used scheduler.Resources
		add  scheduler.Resources
		want bool
	}{
		{name: "room for both", used: scheduler.Resources{CPU: 512, Memory: 1024}, add: scheduler.Resources{CPU: 512, Memory: 1024}, want: true},
		{name: "cpu over", used: scheduler.Resources{CPU: 768}, add: scheduler.Resources{CPU: 512}, want: false},
		{name: "memory over", used: scheduler.Resources{Memory: 2000}, add: scheduler.Resources{Memory: 64}, want: false},
		{name: "port held by a task", used: scheduler.Resources{Ports: []scheduler.Port{{Port: 80, Protocol: "tcp"}}}, add: scheduler.Resources{Ports: []scheduler.Port{{Port: 80, Protocol: "tcp"}}}, want: false},
		{name: "same port, other protocol", used: scheduler.Resources{Ports: []scheduler.Port{{Port: 80, Protocol: "udp"}}}, add: scheduler.Resources{Ports: []scheduler.Port{{Port: 80, Protocol: "tcp"}}}, want: true},
		{name: "port held by the host", add: scheduler.Resources{Ports: []scheduler.Port{{Port: 22}}}, want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &Fit{Capacity: capacity, Add: tc.add}
			if got := f.fits(tc.used); got != tc.want {
				t.Errorf("fits = %v, want %v", got, tc.want)
			}
		})
	}
}
