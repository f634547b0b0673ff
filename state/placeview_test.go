package state

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/scheduler"
	"github.com/wharfhq/wharf/store"
)

// TestTasksByInstanceGroupView checks that placement's view of a cluster
// built from the group's own tasks and the usage index (Launch.GroupTasks)
// holds what the full instance-tasks index does: per instance the cpu,
// memory and ports taken, and the group's holding and live tasks.
func TestTasksByInstanceGroupView(t *testing.T) {
	const group = "service:web"
	type task struct {
		group    string
		inst     int
		cpu      int32
		hostPort int32
		stopping bool // stop requested, not yet STOPPED
		stopped  bool
	}
	tests := []struct {
		name        string
		tasks       []task
		constraints []ecstypes.PlacementConstraint
		wantFull    bool // the full index is read
	}{
		{"empty cluster", nil, nil, false},
		{"other groups' tasks become one stand-in", []task{{group: "family:x", inst: 0, cpu: 100, hostPort: 8080}, {group: "family:y", inst: 0, cpu: 50}}, nil, false},
		{"the group's tasks kept one by one", []task{{group: group, inst: 0, cpu: 10, hostPort: 9090}, {group: group, inst: 1, cpu: 10},
			{group: "family:x", inst: 1, cpu: 7, hostPort: 8080}}, nil, false},
		{"a stopping group task holds but is not live", []task{{group: group, inst: 1, cpu: 10, stopping: true}, {group: "family:x", inst: 1, cpu: 3}}, nil, false},
		{"stopped tasks hold nothing", []task{{group: group, inst: 0, cpu: 10, stopped: true}, {group: "family:x", inst: 0, cpu: 3, stopped: true}}, nil, false},
		{"memberOf reads every task", []task{{group: "family:x", inst: 0, cpu: 100}},
			[]ecstypes.PlacementConstraint{{Type: ecstypes.PlacementConstraintTypeMemberOf, Expression: new("task:group == family:x")}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTestDB(t)
			ctx := context.Background()
			var mine []IndexedTask
			_, err := db.Update(ctx, func(tx store.Tx) error {
				for i, k := range tt.tasks {
					l := &Launch{Scope: testScope, Cluster: testCluster, Definition: testDefinition(k.cpu, 6, k.hostPort), Group: k.group, Count: 1}
					inst := testScope.ContainerInstanceARN(testCluster, fmt.Sprintf("i%d", k.inst))
					task, err := CreateTask(tx, l, Target{Node: fmt.Sprintf("n%d", i), Instance: inst}, testNow)
					if err != nil {
						return err
					}
					rec, _, err := FindTask(tx, testScope, testCluster, *task.TaskArn)
					if err != nil {
						return err
					}
					switch {
					case k.stopped:
						MarkStopped(&rec, testNow)
						err = PutTask(tx, testScope, testCluster, &rec)
					case k.stopping:
						err = RequestStop(tx, testScope, testCluster, &rec, ecstypes.TaskStopCodeUserInitiated, "test", testNow)
					}
					if err != nil {
						return err
					}
					if it, ok := IndexedTaskOf(rec); ok && k.group == group {
						mine = append(mine, it)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			err = db.View(ctx, func(tx store.ReadTx) error {
				l := &Launch{Scope: testScope, Cluster: testCluster, Group: group, Constraints: tt.constraints, GroupTasks: make([]IndexedTask, 0)}
				l.GroupTasks = append(l.GroupTasks, mine...)
				cons := scheduler.ConstraintsFrom(nil, tt.constraints)
				got, err := tasksByInstance(tx, l, cons)
				if err != nil {
					return err
				}
				full, err := ClusterTasksByInstance(tx, testScope, testCluster)
				if err != nil {
					return err
				}
				if g, w := summarize(got, group), summarize(full, group); !slices.Equal(g, w) {
					t.Errorf("group view:\n%v\nfull index:\n%v", g, w)
				}
				if standIn := hasStandIn(got); standIn == tt.wantFull && len(full) > 0 {
					t.Errorf("stand-in present = %v, want the full index read = %v", standIn, tt.wantFull)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// summarize is per instance what placement derives from its tasks.
func summarize(m map[string][]scheduler.PlacedTask, group string) []string {
	var out []string
	for arn, ts := range m {
		var cpu, mem, holding, live int
		var ports []string
		for _, t := range ts {
			if t.LastStatus == "STOPPED" {
				continue
			}
			cpu += t.Reserved.CPU
			mem += t.Reserved.Memory
			for _, p := range t.Reserved.Ports {
				ports = append(ports, fmt.Sprint(p.Port, p.Protocol))
			}
			if t.Group == group {
				holding++
				if t.DesiredStatus != DesiredStopped {
					live++
				}
			}
		}
		if cpu+mem+holding == 0 {
			continue // an instance with nothing held is as good as absent
		}
		slices.Sort(ports)
		out = append(out, fmt.Sprintf("%s cpu=%d mem=%d ports=%v %s holding=%d live=%d", LastSegment(arn), cpu, mem, ports, group, holding, live))
	}
	slices.Sort(out)
	return out
}

func hasStandIn(m map[string][]scheduler.PlacedTask) bool {
	for _, ts := range m {
		if slices.ContainsFunc(ts, func(t scheduler.PlacedTask) bool { return t.Group == otherTasks }) {
			return true
		}
	}
	return false
}
