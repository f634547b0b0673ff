package taskset

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

// TestReconcile runs reconcile passes over a real store holding plain
// records (an agent node, an EXTERNAL service, one FARGATE task set) and
// plays the agent's part by editing task records between passes.
func TestReconcile(t *testing.T) {
	db := testdb.Bolt(t, bolt.Options{})
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := &Controller{db: db, log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: func() time.Time { return now }, resync: time.Second}
	ctx := context.Background()
	sc := model.Scope{Account: "000000000000", Region: "us-east-1"}
	const cluster, setID = "c", "ecs-svc/1"
	svcKey := state.ServiceKey(sc, cluster, "web")
	setKey := state.TaskSetKey(sc, cluster, "web", setID)
	update := func(fn func(tx store.Tx) error) {
		t.Helper()
		if _, err := db.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	update(func(tx store.Tx) error { return putExternalService(tx, sc, cluster, setID, 4, 50, now) })
	reconcile := func() {
		t.Helper()
		if err := c.reconcile(ctx, svcKey); err != nil {
			t.Fatal(err)
		}
	}
	read := func() (model.ServiceRecord, state.TaskSetRecord, bool, []model.TaskRecord) {
		t.Helper()
		var svc model.ServiceRecord
		var set state.TaskSetRecord
		var ok bool
		var tasks []model.TaskRecord
		err := db.View(ctx, func(tx store.ReadTx) error {
			var err error
			if svc, _, err = store.Get[model.ServiceRecord](tx, svcKey); err != nil {
				return err
			}
			if set, ok, err = store.Get[state.TaskSetRecord](tx, setKey); err != nil {
				return err
			}
			tasks, err = store.List[model.TaskRecord](tx, state.TasksPrefix(sc, cluster))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return svc, set, ok, tasks
	}
	// agent plays the agent: every task moves to status.
	agent := func(status string) {
		t.Helper()
		_, _, _, tasks := read()
		update(func(tx store.Tx) error {
			for i := range tasks {
				rec := &tasks[i]
				if status == model.TaskStopped {
					state.MarkStopped(rec, now)
				} else if *rec.Task.DesiredStatus == state.DesiredRunning {
					rec.Task.LastStatus = new(status)
				}
				if err := state.PutTask(tx, sc, cluster, rec); err != nil {
					return err
				}
			}
			return nil
		})
	}

	t.Run("launches the set's share of the desired count", func(t *testing.T) {
		reconcile()
		svc, set, _, tasks := read()
		if len(tasks) != 2 || set.TaskSet.ComputedDesiredCount != 2 || set.TaskSet.PendingCount != 2 ||
			set.TaskSet.StabilityStatus != ecstypes.StabilityStatusStabilizing {
			t.Fatalf("50%% of 4: %d tasks, set %+v", len(tasks), set.TaskSet)
		}
		for _, k := range tasks {
			if *k.Task.Group != "service:web" || *k.Task.StartedBy != setID || k.NodeID != "n1" || k.Task.LaunchType != ecstypes.LaunchTypeFargate {
				t.Fatalf("task %+v", k.Task)
			}
		}
		if svc.Service.PendingCount != 2 || !strings.Contains(*svc.Service.Events[0].Message, "(service web, taskSet ecs-svc/1) has started 2 tasks") {
			t.Fatalf("service: pending %d events %v", svc.Service.PendingCount, *svc.Service.Events[0].Message)
		}
		reconcile() // level-triggered: a second pass starts nothing more
		if _, _, _, again := read(); len(again) != 2 {
			t.Fatalf("a second pass made %d tasks", len(again))
		}
	})

	t.Run("running tasks make the set steady", func(t *testing.T) {
		agent(model.TaskRunning)
		reconcile()
		svc, set, _, _ := read()
		if set.TaskSet.RunningCount != 2 || set.TaskSet.PendingCount != 0 || set.TaskSet.StabilityStatus != ecstypes.StabilityStatusSteadyState {
			t.Fatalf("set %+v", set.TaskSet)
		}
		if svc.Service.RunningCount != 2 || len(svc.Service.TaskSets) != 1 || svc.Service.TaskSets[0].RunningCount != 2 {
			t.Fatalf("service running %d sets %+v", svc.Service.RunningCount, svc.Service.TaskSets)
		}
	})

	t.Run("a lower scale stops the surplus", func(t *testing.T) {
		_, set, _, _ := read()
		set.TaskSet.Scale.Value = 25
		update(func(tx store.Tx) error { return store.Put(tx, setKey, set) })
		reconcile()
		_, set, _, tasks := read()
		var stopping []string
		for _, k := range tasks {
			if *k.Task.DesiredStatus == state.DesiredStopped {
				stopping = append(stopping, *k.Task.StoppedReason)
			}
		}
		if set.TaskSet.ComputedDesiredCount != 1 || len(stopping) != 1 || stopping[0] != "Scaling activity initiated by (deployment ecs-svc/1)" {
			t.Fatalf("25%% of 4: computed %d, stopping %v", set.TaskSet.ComputedDesiredCount, stopping)
		}
	})

	t.Run("a DRAINING set is removed once its tasks stopped", func(t *testing.T) {
		_, set, _, _ := read()
		set.TaskSet.Status = new(state.TaskSetDraining)
		update(func(tx store.Tx) error { return store.Put(tx, setKey, set) })
		reconcile()
		_, set, ok, tasks := read()
		for _, k := range tasks {
			if *k.Task.DesiredStatus != state.DesiredStopped {
				t.Fatalf("task %s still desired %s", *k.Task.TaskArn, *k.Task.DesiredStatus)
			}
		}
		if !ok || set.TaskSet.ComputedDesiredCount != 0 {
			t.Fatalf("the set went before its tasks stopped: %v %+v", ok, set.TaskSet)
		}
		agent(model.TaskStopped)
		reconcile()
		svc, _, ok, _ := read()
		if ok || len(svc.Service.TaskSets) != 0 || svc.Service.RunningCount != 0 {
			t.Fatalf("after the tasks stopped: set kept %v, service sets %+v", ok, svc.Service.TaskSets)
		}
	})

	t.Run("a service of the ECS controller is left alone", func(t *testing.T) {
		key := state.ServiceKey(sc, cluster, "rolling")
		update(func(tx store.Tx) error {
			svc := ecstypes.Service{ServiceName: new("rolling"), Status: new(model.ServiceActive), DesiredCount: 2,
				DeploymentController: &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeEcs}}
			return store.Put(tx, key, model.ServiceRecord{Service: svc})
		})
		rev := func() (r int64) {
			_ = db.View(ctx, func(tx store.ReadTx) error { r = tx.Rev(); return nil })
			return r
		}
		before := rev()
		if err := c.reconcile(ctx, key); err != nil {
			t.Fatal(err)
		}
		if after := rev(); after != before {
			t.Fatalf("reconcile wrote to an ECS-controller service (rev %d → %d)", before, after)
		}
	})
}

// putExternalService stores what a task-set test starts from: an agent
// node seen at now, an EXTERNAL service "web" of desired tasks in cluster,
// and one ACTIVE FARGATE task set setID at scale percent.
func putExternalService(tx store.Tx, sc model.Scope, cluster, setID string, desired int32, scale float64, now time.Time) error {
	if err := store.Put(tx, state.NodeKey("n1"), state.NodeRecord{NodeID: "n1", LastSeen: now}); err != nil {
		return err
	}
	svc := ecstypes.Service{ServiceName: new("web"), Status: new(model.ServiceActive), DesiredCount: desired,
		ServiceArn: new(sc.ServiceARN(cluster, "web")), ClusterArn: new(sc.ClusterARN(cluster)),
		DeploymentController: &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeExternal}}
	if err := store.Put(tx, state.ServiceKey(sc, cluster, "web"), model.ServiceRecord{Service: svc}); err != nil {
		return err
	}
	td := ecstypes.TaskDefinition{Family: new("web"), TaskDefinitionArn: new(sc.TaskDefinitionARN("web", 1)),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: new("app"), Image: new("img")}}}
	ts := ecstypes.TaskSet{Id: new(setID), Status: new(state.TaskSetActive), LaunchType: ecstypes.LaunchTypeFargate,
		Scale: &ecstypes.Scale{Value: scale, Unit: ecstypes.ScaleUnitPercent}, TaskDefinition: td.TaskDefinitionArn}
	return store.Put(tx, state.TaskSetKey(sc, cluster, "web", setID), state.TaskSetRecord{TaskSet: ts, Definition: td})
}
