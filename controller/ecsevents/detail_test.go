package ecsevents

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
)

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func task(last, desired string, containers ...string) *model.TaskRecord {
	r := &model.TaskRecord{Task: ecstypes.Task{TaskArn: new("arn:aws:ecs:us-east-1:000000000000:task/c/1"), LastStatus: new(last), DesiredStatus: new(desired),
		CreatedAt: shape.TimeOf(time.Date(2026, 1, 2, 3, 0, 0, 500e6, time.UTC)), Version: 2}}
	for _, s := range containers {
		r.Task.Containers = append(r.Task.Containers, ecstypes.Container{Name: new("app"), LastStatus: new(s)})
	}
	return r
}

func TestTaskEvents(t *testing.T) {
	for _, tc := range []struct {
		name      string
		prev, cur *model.TaskRecord
		want      int
	}{
		{"new task", nil, task("PROVISIONING", "RUNNING", "PENDING"), 1},
		{"status moved", task("PENDING", "RUNNING", "PENDING"), task("RUNNING", "RUNNING", "RUNNING"), 1},
		{"desired moved", task("RUNNING", "RUNNING", "RUNNING"), task("RUNNING", "STOPPED", "RUNNING"), 1},
		{"container moved", task("RUNNING", "RUNNING", "PENDING", "RUNNING"), task("RUNNING", "RUNNING", "RUNNING", "RUNNING"), 1},
		{"nothing moved", task("RUNNING", "RUNNING", "RUNNING"), task("RUNNING", "RUNNING", "RUNNING"), 0},
		{"slimmed previous", slim(task("RUNNING", "RUNNING", "RUNNING")).(*model.TaskRecord), task("RUNNING", "RUNNING", "RUNNING"), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs := TaskEvents(tc.prev, tc.cur, now)
			if len(evs) != tc.want {
				t.Fatalf("got %d events, want %d", len(evs), tc.want)
			}
			if tc.want == 0 {
				return
			}
			var d map[string]any
			if err := json.Unmarshal(evs[0].Detail, &d); err != nil {
				t.Fatal(err)
			}
			if evs[0].DetailType != "ECS Task State Change" || d["lastStatus"] != *tc.cur.Task.LastStatus || d["createdAt"] != "2026-01-02T03:00:00.500Z" ||
				d["updatedAt"] != "2026-01-02T03:04:05.000Z" || d["taskArn"] != evs[0].Resources[0] || d["version"] != 2.0 {
				t.Fatalf("detail: %v", d)
			}
		})
	}
}

func service(steady bool, rollouts ...ecstypes.DeploymentRolloutState) *model.ServiceRecord {
	r := &model.ServiceRecord{Steady: steady, Service: ecstypes.Service{ServiceArn: new("arn:aws:ecs:us-east-1:000000000000:service/c/web"), ClusterArn: new("arn:aws:ecs:us-east-1:000000000000:cluster/c")}}
	for i, s := range rollouts {
		r.Service.Deployments = append(r.Service.Deployments, ecstypes.Deployment{Id: new("ecs-svc/" + string(rune('1'+i))), RolloutState: s})
	}
	return r
}

func withEvent(r *model.ServiceRecord, id, msg string) *model.ServiceRecord {
	r.Service.Events = append([]ecstypes.ServiceEvent{{Id: new(id), Message: new(msg)}}, r.Service.Events...)
	return r
}

func TestServiceEvents(t *testing.T) {
	inProgress, done, failed := ecstypes.DeploymentRolloutStateInProgress, ecstypes.DeploymentRolloutStateCompleted, ecstypes.DeploymentRolloutStateFailed
	for _, tc := range []struct {
		name      string
		prev, cur *model.ServiceRecord
		want      []string // eventName of each event
	}{
		{"created", nil, service(false, inProgress), []string{"SERVICE_DEPLOYMENT_IN_PROGRESS"}},
		{"completed and steady", service(false, inProgress), service(true, done), []string{"SERVICE_DEPLOYMENT_COMPLETED", "SERVICE_STEADY_STATE"}},
		{"failed", service(false, done, inProgress), service(false, done, failed), []string{"SERVICE_DEPLOYMENT_FAILED"}},
		{"unchanged", service(true, done), service(true, done), nil},
		{"from slim", slim(service(true, done)).(*model.ServiceRecord), service(true, done), nil},
		{"placement failure", service(true, done), withEvent(service(true, done), "2", "(service web) was unable to place a task because no container instance met all of its requirements. The closest matching container-instance 4b8f has insufficient memory available."), []string{"SERVICE_TASK_PLACEMENT_FAILURE"}},
		{"an old event", withEvent(service(true, done), "2", "(service web) was unable to place a task"), withEvent(service(true, done), "2", "(service web) was unable to place a task"), nil},
		{"other events", service(true, done), withEvent(service(true, done), "3", "(service web) has started 1 tasks: (task 1)."), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs := ServiceEvents(tc.prev, tc.cur, now)
			var got []string
			for _, e := range evs {
				var d map[string]any
				if err := json.Unmarshal(e.Detail, &d); err != nil {
					t.Fatal(err)
				}
				got = append(got, d["eventName"].(string))
			}
			if len(got) != len(tc.want) {
				t.Fatalf("events %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("events %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestInstanceEvents(t *testing.T) {
	inst := func(status string, connected bool, running int32) *state.InstanceRecord {
		return &state.InstanceRecord{Instance: ecstypes.ContainerInstance{ContainerInstanceArn: new("arn:i"), Status: new(status), AgentConnected: connected, RunningTasksCount: running}}
	}
	for _, tc := range []struct {
		name      string
		prev, cur *state.InstanceRecord
		want      int
	}{
		{"registered", nil, inst("ACTIVE", true, 0), 1},
		{"agent lost", inst("ACTIVE", true, 0), inst("ACTIVE", false, 0), 1},
		{"task placed", inst("ACTIVE", true, 0), inst("ACTIVE", true, 1), 1},
		{"unchanged", slim(inst("ACTIVE", true, 1)).(*state.InstanceRecord), inst("ACTIVE", true, 1), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := len(InstanceEvents(tc.prev, tc.cur, now)); got != tc.want {
				t.Fatalf("got %d events, want %d", got, tc.want)
			}
		})
	}
}
